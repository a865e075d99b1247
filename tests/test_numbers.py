"""Exact .NET number types (engine/numbers.py): .NET's arithmetic rules, Decimal's limits, and
the exact type crossing the remote protocol, checked field by field on the way in."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given, settings, strategies as st

from pshell.engine import numbers as n
from pshell.remote.framing import ProtocolError
from pshell.remote.protocol import deserialize, serialize

TYPED = [n.PSByte(255), n.PSSByte(-128), n.PSInt16(-5), n.PSUInt16(65535), n.PSUInt32(2**32 - 1),
         n.PSInt64(-2**63), n.PSUInt64(2**64 - 1), n.PSBigInteger(10**40), n.Decimal("1.50"),
         n.DECIMAL_MAX.copy_negate(), n.PSSingle(1.1), n.PSSingle(float("inf"))]


@pytest.mark.parametrize("value", TYPED, ids=repr)
def test_the_exact_type_crosses_the_wire_and_pickles(value):
    wire = json.loads(json.dumps(serialize([value])))
    back = deserialize(wire)[0]
    assert type(back) is type(value) and back == value and str(back) == str(value)
    again = pickle.loads(pickle.dumps(value))
    assert type(again) is type(value) and again == value


@pytest.mark.parametrize("data", [
    {"@": "n", "t": "System.Byte", "v": "256"},           # out of the type's range
    {"@": "n", "t": "System.SByte", "v": "-129"},
    {"@": "n", "t": "System.UInt64", "v": "-1"},
    {"@": "n", "t": "System.Evil", "v": "1"},             # no such type
    {"@": "n", "t": "System.Int32", "v": "1"},            # plain ints cross as JSON numbers
    {"@": "n", "t": "System.Decimal", "v": "NaN"},
    {"@": "n", "t": "System.Decimal", "v": "1e999999999"},
    {"@": "n", "t": "System.Int64", "v": "9" * 5000},      # absurd size
    {"@": "n", "t": "System.Int64", "v": 5},               # not text
    {"@": "n", "t": 7, "v": "5"},
    {"@": "n", "t": "System.Int16", "v": "0x10"},
    {"@": "n", "t": "System.Int16", "v": ""},
    {"@": "n"},
])
def test_a_malformed_number_is_a_named_protocol_error(data):
    with pytest.raises(ProtocolError, match="malformed value"):
        deserialize(data)


@settings(deadline=None, max_examples=200, database=None)
@given(st.text(max_size=90), st.sampled_from([full for _, full in n.KINDS.values()]))
def test_any_number_text_decodes_or_is_a_protocol_error(text, type_name):
    try:
        value = deserialize({"@": "n", "t": type_name, "v": text})
    except ProtocolError:
        return
    assert n.type_of_name(type_name) is not None and n.is_typed(value)


def test_decimal_results_keep_28_places_and_a_96_bit_mantissa():
    assert str(n.binary("/", n.Decimal(1), n.Decimal(3))) == "0." + "3" * 28
    assert str(n.binary("-", n.DECIMAL_MAX, 1)) == "79228162514264337593543950334"
    with pytest.raises(n.NumberError):
        n.binary("+", n.DECIMAL_MAX, 1)
    with pytest.raises(n.NumberError):
        n.make("decimal", float("nan"))


def test_integer_operation_types():
    assert type(n.binary("+", n.PSByte(200), n.PSByte(100))) is int
    assert type(n.binary("+", n.PSInt64(2**63 - 1), 1)) is float
    assert type(n.binary("-", n.PSUInt32(0), 1)) is float
    assert type(n.binary("+", n.PSUInt32(1), -1)) is n.PSInt64
    assert type(n.binary("+", n.PSUInt64(1), -1)) is float
    assert n.binary("%", n.PSInt64(-7), 2) == -1
    assert n.binary("/", n.PSBigInteger(-7), 2) == -3
