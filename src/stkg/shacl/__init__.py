"""SHACL validation compiled to SPARQL and run on the store.

`compile` turns each targeted shape of a shapes graph into SPARQL SELECT queries (`Check`s)
whose rows are validation results; `engine` runs them on a store and builds the standard
sh:ValidationReport. A shape the compiler does not handle is reported as a fallback, and
`stkg.validate` hands it to pySHACL, the reference engine.
"""
