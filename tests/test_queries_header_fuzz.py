"""hypothesis over the `.rq` header parser: a malformed header is always a SourceError
naming the file and the line, never another exception.

Headers are drawn from a small grammar that is mostly right and often wrong: the known keys
and unknown ones, values of every YAML kind (lists, mappings, dates, anchors, tags, quotes,
stray colons and brackets), parameters with random types, defaults and `required`, and
lines of YAML-significant characters. Whatever comes out, `parse_query_file` either returns
a query — whose bindings then work or raise ParameterError, and whose description is
JSON — or raises SourceError whose text starts with `FILE:LINE:` for a line of the file.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stkg.errors import SourceError
from stkg.queries import HEADER_KEYS, PARAM_KEYS, PARAM_TYPES, ParameterError, parse_query_file

QUERY = (
    "PREFIX ex: <https://w3id.org/stkg/example/acme/>\nSELECT ?system ?x WHERE { ?system ?p ?x }\n"
)
YAML_CHARS = st.sampled_from([*list(":-[]{}&*!|>'\"#%@,?` \t"), "a", "1", "x:", "\\"])
words = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)

scalar = st.one_of(
    words,
    st.integers(-10, 10).map(str),
    st.sampled_from(
        [
            "true",
            "no",
            "~",
            "null",
            "2024-13-45",  # a date YAML resolves, and cannot build
            "2001-02-29",
            "1e999",
            "0x1F",
            ".nan",
            "!!binary x",
            "!!python/object:os.system x",
            "&a [1]",
            "*a",
            "*undefined",
            "'unterminated",
            '"\\u00"',
            "[1, 2",
            "{a: }",
            "|",
            ">-",
            "ex:LoanApproval",
            "https://w3id.org/stkg/example/acme/LoanApproval",
            "eu-ai-act",
            "<not an iri>",
        ]
    ),
    st.lists(YAML_CHARS, max_size=10).map("".join),
)
flow = st.one_of(scalar, st.lists(scalar, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"))


def key_line(keys: tuple[str, ...]) -> st.SearchStrategy[str]:
    key = st.one_of(st.sampled_from(keys), words)
    return st.builds(lambda k, v: f"{k}: {v}", key, flow)


param_spec = st.lists(
    st.one_of(
        st.builds(lambda t: f"type: {t}", st.one_of(st.sampled_from(sorted(PARAM_TYPES)), flow)),
        key_line(PARAM_KEYS),
    ),
    max_size=4,
)
param_block = st.builds(
    lambda name, spec: [f"  {name}:"] + [f"    {line}" for line in spec],
    st.one_of(st.sampled_from(["system", "x", "p", "missing"]), words),
    param_spec,
)
header_lines = st.lists(
    st.one_of(
        key_line(HEADER_KEYS).map(lambda line: [line]),
        st.builds(
            lambda blocks: ["params:"] + [x for b in blocks for x in b],
            st.lists(param_block, max_size=3),
        ),
        st.lists(YAML_CHARS, max_size=12).map(lambda cs: ["".join(cs)]),
        st.lists(scalar, max_size=3).map(lambda xs: ["tags:"] + [f"  - {x}" for x in xs]),
    ),
    min_size=1,
    max_size=5,
).map(lambda groups: [line for group in groups for line in group])


@settings(
    max_examples=2000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(header_lines, st.sampled_from(["#+ ", "#+", "#+  "]))
def test_a_malformed_header_is_a_source_error_naming_file_and_line(lines, marker):
    text = "".join(f"{marker}{line}\n" for line in lines) + QUERY
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.rq"
        path.write_text(text, encoding="utf-8")
        try:
            query = parse_query_file(path)
        except SourceError as error:
            match = re.match(rf"{re.escape(str(path))}:(\d+): ", str(error))
            assert match, f"no FILE:LINE in {error!s}"
            assert 1 <= int(match.group(1)) <= len(text.splitlines()), str(error)
            return
    with contextlib.suppress(ParameterError):
        query.bindings({})
    json.dumps(query.as_dict())
