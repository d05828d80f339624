#!/usr/bin/python3
"""Compare a measured disk boot with its prediction (used by diskboot_test.sh tpm).

    boot_events.py PREDICTION.json EVENTLOG.json EVIDENCE.json

PREDICTION.json  `kettle measure boot --image DIR --json` (schema kettle-boot-prediction/v1)
EVENTLOG.json    `kettle measure event-log --log TPM_LOG --json --events`: the log the guest copied from its TPM,
                 parsed and replayed in every bank
EVIDENCE.json    the bundle's evidence.json: guest_registers.tpm_pcrs, the PCRs the guest read from the TPM

Checks, each printed: (1) the logged events of the predicted PCRs (4, 5, 9, 11, 12, 13), in log order, are exactly
the predicted TPM events: PCR, type, SHA-256 and SHA-384 digests, and the event data where it is predicted;
(2) the replay of the whole log equals every PCR the guest read (a PCR the log never extends must hold its reset
value: zero, or all ones for PCRs 17-22); (3) the predicted PCR values equal the replay. Exit 0 or 1.
"""
import json
import sys

PREDICTED_PCRS = {4, 5, 9, 11, 12, 13}


def main():
    pred, log, ev = (json.load(open(p)) for p in sys.argv[1:4])
    bad = []
    want = [e for e in pred["events"] if e["tpm"]]
    got = [e for e in log["event_list"] if e["index"] in PREDICTED_PCRS]
    print(f"events of PCRs {sorted(PREDICTED_PCRS)}: predicted {len(want)}, logged {len(got)}")
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        ok = (w is not None and g is not None and w["pcr"] == g["index"] and w["type"] == g["type"]
              and all(w["digests"][b] == g["digests"].get(b) for b in ("sha256", "sha384"))
              and (w["data"] is None or w["data"] == g["data"]))
        wl = f"PCR{w['pcr']} {w['type_name']} {w['what']}" if w else "-"
        gl = f"PCR{g['index']} {g['type_name']} {g['digests'].get('sha256', '')[:16]}" if g else "-"
        print(f"  {'ok ' if ok else 'BAD'} {i:2} predicted {wl:60} logged {gl}")
        if not ok:
            bad.append(f"event {i}: predicted {wl}, logged {gl}")
    guest = ev["guest_registers"]["tpm_pcrs"]
    for bank in ("sha256", "sha384"):
        if bank not in guest:
            bad.append(f"the guest read no {bank} PCRs")
            continue
        replay = log["registers"].get(bank, {})
        size = {"sha256": 64, "sha384": 96}[bank]
        for idx, value in sorted(guest[bank].items(), key=lambda kv: int(kv[0])):
            reset = ("f" if 17 <= int(idx) <= 22 else "0") * size
            expect = replay.get(idx, reset)
            if value != expect:
                bad.append(f"{bank} PCR{idx}: guest read {value}, the log replays to {expect}")
        print(f"{bank}: {len(guest[bank])} PCRs read in the guest, {len(replay)} extended by the log: "
              f"{'all equal' if not any(b.startswith(bank) for b in bad) else 'MISMATCH'}")
        for pcr, banks in pred["pcrs"].items():
            expect = replay.get(pcr, "0" * size)
            if banks[bank] != expect:
                bad.append(f"{bank} PCR{pcr}: predicted {banks[bank]}, the log replays to {expect}")
    for b in bad:
        print("FAIL:", b)
    print("PASS: prediction = logged events; replay = PCRs read in the guest" if not bad else "FAIL")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
