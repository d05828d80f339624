# Writes the expected JCS bytes of the known statement used by tests/unit/provenance/provenance.cpp.
# The statement is written by hand from the in-toto/SLSA specs and docs/buildtype.md; Python serializes it
# (sort_keys + compact separators = RFC 8785 for this ASCII-only, integer-only document).
# Run: python3 tests/data/provenance/gen_statement.py
import hashlib, json, base64
h=lambda b: hashlib.sha256(b).hexdigest()
req=b'{ "source": {"uri": "https://example.org/hello.git", "ref": "main"},\n  "target": "all", "nonce": "c2VjcmV0LW5vbmNl" }'
vm={"vcpus":2,"memoryKiB":2030000,"cpuModel":"QEMU Virtual CPU version 2.5+"}
jc=lambda o: json.dumps(o,sort_keys=True,separators=(',',':'),ensure_ascii=False)
commit="0123456789abcdef0123456789abcdef01234567"; tree="89abcdef0123456789abcdef0123456789abcdef"
cmd="console=ttyS0 quiet"
st={"_type":"https://in-toto.io/Statement/v1",
 "subject":[{"name":"bin/hello","digest":{"sha256":h(b"hello binary")}},{"name":"share/man/hello.1","digest":{"sha256":h(b"manpage")}}],
 "predicateType":"https://slsa.dev/provenance/v1",
 "predicate":{"buildDefinition":{"buildType":"https://kettle-build.org/buildtypes/confidential-vm/v1",
   "externalParameters":json.loads(req),
   "internalParameters":{"limits":{"cpuSeconds":600,"memoryMiB":2048},"sandbox":{"network":"none","uid":65534}},
   "resolvedDependencies":[
     {"name":"source","uri":"git+https://example.org/hello.git@"+commit,"digest":{"gitCommit":commit,"gitTree":tree}},
     {"name":"build-request","mediaType":"application/json","digest":{"sha256":h(req)}},
     {"name":"toolchain","digest":{"sha256":h(b"toolchain")},"annotations":{"file":"toolchain.tar"}},
     {"name":"inputs/data.bin","digest":{"sha256":h(b"data")}},
     {"name":"input-disk","digest":{"sha256":h(b"input disk")}}]},
  "runDetails":{"builder":{"id":"https://kettle-build.org/builders/sim/v1","version":{"kettle-init":"0.1.0","linux":"6.12.48"},
     "builderDependencies":[{"name":"kernel","digest":{"sha256":h(b"kernel")}},{"name":"init","digest":{"sha256":h(b"init")}},
       {"name":"cmdline","digest":{"sha256":h(cmd.encode())},"content":base64.b64encode(cmd.encode()).decode(),"mediaType":"text/plain"},
       {"name":"vm-shape","content":base64.b64encode(jc(vm).encode()).decode(),"mediaType":"application/json","annotations":vm}]},
   "metadata":{"invocationId":"3f1c2a9e-0000-4000-8000-000000000001","startedOn":"2026-01-02T03:04:05Z","finishedOn":"2026-01-02T03:14:15Z"},
   "byproducts":[{"name":"build.log","mediaType":"text/plain","digest":{"sha256":h(b"log")}}]}}}
s=jc(st)
print(len(s)); print(h(s.encode()))
open(__import__('os').path.join(__import__('os').path.dirname(__file__),'statement_known.json'),'w').write(s)
for k,v in [("hello binary",h(b"hello binary")),("manpage",h(b"manpage")),("toolchain",h(b"toolchain")),("data",h(b"data")),("input disk",h(b"input disk")),("kernel",h(b"kernel")),("init",h(b"init")),("log",h(b"log"))]: print(k,v)
