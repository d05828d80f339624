// Time Phala's @phala/dcap-qvl (pure JavaScript) verify() on the quote and collateral directory that the in-process
// TDX bench of bench/verify_bench.sh uses, as an outside reference beside ours.
//   node bench/dcap_qvl_bench.js NPM_PREFIX COLLATERAL_DIR QUOTE NOW_RFC3339 [RUNS]
// NPM_PREFIX holds node_modules/@phala/dcap-qvl (verify_bench.sh installs the pinned version there).
const fs = require('fs');
const path = require('path');
const [qvlDir, dir, quoteFile, nowIso, runsArg] = process.argv.slice(2);
const { verify } = require(path.join(qvlDir, 'node_modules/@phala/dcap-qvl'));
const pick = (re) => fs.readdirSync(dir).filter((f) => re.test(f)).sort()[0];
// The signed member of Intel's JSON as its exact text, and the hex signature.
function member(text, key) {
  const j = JSON.parse(text);
  const inner = JSON.stringify(j[key]);
  if (!text.includes(inner)) throw new Error(`${key}: not in compact form`);
  return { body: inner, sig: j.signature };
}
const ti = member(fs.readFileSync(path.join(dir, pick(/^tcbinfo.*\.json$/)), 'utf8'), 'tcbInfo');
const qe = member(fs.readFileSync(path.join(dir, pick(/^qe_identity.*\.json$/)), 'utf8'), 'enclaveIdentity');
const chain = fs.readFileSync(path.join(dir, 'tcb_signing_chain.pem'), 'utf8');
const collateral = {
  pck_crl_issuer_chain: fs.readFileSync(path.join(dir, pick(/^pckcrl_issuer_chain/)), 'utf8'),
  root_ca_crl: [...fs.readFileSync(path.join(dir, pick(/^rootcrl/)))],
  pck_crl: [...fs.readFileSync(path.join(dir, pick(/^pckcrl(?!_issuer)/)))],
  tcb_info_issuer_chain: chain, tcb_info: ti.body, tcb_info_signature: ti.sig,
  qe_identity_issuer_chain: chain, qe_identity: qe.body, qe_identity_signature: qe.sig,
};
const quote = fs.readFileSync(quoteFile);
const now = Date.parse(nowIso) / 1000;
// The sample's TCB matches no level of its TCB info: dcap-qvl throws at that last step, after every signature, chain
// and CRL check (ours reports "TCB level not supported" there). Both do the same work; the outcome is printed.
const once = () => {
  try {
    return `status ${verify(quote, collateral, now).status}`;
  } catch (e) {
    return `error at the end: ${e.message}`;
  }
};
const first = once();
const runs = Number(runsArg || 30);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
for (let i = 0; i < runs; i++) once();
const c1 = process.cpuUsage(c0);
const ms = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
const cpu = (c1.user + c1.system) / 1e3 / runs;
console.log(`bench: dcap-qvl (@phala/dcap-qvl JS) TDX quote with full collateral: ${ms.toFixed(2)} ms per quote (CPU time ${cpu.toFixed(2)} ms per quote; ${first})`);
