"""The T0 of a pacte local des solidarités: a frozen, verifiable, portable and replayable snapshot of the
published build for one département (`bin/pacte t0 …`).

- `archive`: the workspace's content-addressed archive of the original input files (`<workspace>/archive/`),
  filled by ingestion when files are landed;
- `manifest`: snapshot layout, canonical content hash of the indicator table, hash checks;
- `freeze`: `freeze`, `list`, `verify`, `export`, `import`;
- `replay`: rebuild a département from a snapshot's archived inputs and compare the content hash.
"""
