"""remote/jsonc.py: the wire's JSON without ``import json`` must be json's, byte for byte, and
refuse what json.loads refuses (a frame's body comes from the other computer)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from pshell.remote import jsonc


def _json_dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True,
                      check_circular=False)


_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
            | st.text())
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5)
                       | st.dictionaries(st.text(), inner, max_size=5), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_the_text_is_json_dumps_and_reads_back_as_json_loads(value):
    text = jsonc.dumps(value)
    assert text == _json_dumps(value)
    again, expected = jsonc.loads(text), json.loads(text)
    assert json.dumps(again) == json.dumps(expected)     # NaN != NaN: compare their texts


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_read_as_json_loads_reads_it_or_refused_as_it_refuses_it(text):
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        with pytest.raises((ValueError, RecursionError)):
            jsonc.loads(text)
        return
    assert json.dumps(jsonc.loads(text)) == json.dumps(expected)


@pytest.mark.parametrize("text", ["", "  ", "{", "{} x", "\ufeff{}", "[1,]", '{"a":1}}', "nul",
                                  "1 2", '"\\ud800" x', "[" * 100000, "{\"a\":" * 50000,
                                  " " * 200000, "\x00", "NaNa", "01"])
def test_garbage_is_a_value_error_never_anything_else(text):
    with pytest.raises((ValueError, RecursionError)):
        json.loads(text)
    with pytest.raises((ValueError, RecursionError)):
        jsonc.loads(text)


def test_blanks_around_a_value_are_json_whitespace_only():
    assert jsonc.loads(" \t\r\n{\"t\": 1}\n" + " " * 100000) == {"t": 1}
    assert math.isinf(jsonc.loads("-Infinity")) and math.isnan(jsonc.loads("NaN"))
    with pytest.raises(ValueError):
        jsonc.loads("\u00a01")           # str.strip would take a no-break space; JSON does not
    with pytest.raises(ValueError):
        jsonc.loads("1\u2028")


def test_what_is_not_json_is_a_type_error_and_bad_keys_too():
    with pytest.raises(TypeError, match="object"):
        jsonc.dumps({"a": object()})
    with pytest.raises(TypeError):
        jsonc.dumps({(1,): 2})
    assert jsonc.dumps({1.5: 1, None: 2, True: 3}) == _json_dumps({1.5: 1, None: 2, True: 3})


def test_a_fresh_process_reads_and_writes_frames_without_importing_json_or_re():
    code = ("import sys\n"
            "from pshell.remote.framing import encode_frame, decode_frame\n"
            "import pshell.remote.protocol\n"
            "m = {'t': 'out', 'id': 1, 'v': ['\u00e9', 1.5, None, {'k': [True]}]}\n"
            "assert decode_frame(encode_frame(m)) == m\n"
            "print(sorted(x for x in ('json', 're', 'enum') if x in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
