"""NIST IR 8477 mappings between framework requirements: the model, composition of chains,
coverage of one framework from another, and consistency checks.

`model` reads mappings from a store; `infer` composes chains by the STRM composition table;
`coverage` runs the named query `mapping-coverage`; `check` finds contradictions, dangling
IRIs, cycles and unreached requirements. `stkg.sssom` reads and writes SSSOM TSV.
"""
