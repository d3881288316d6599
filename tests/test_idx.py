"""Tests of the IDX reader and writer."""

import gzip
import struct

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skfashion.datasets import read_idx, write_idx
from skfashion.datasets._idx import _CODE_TO_DTYPE, _encode_idx
from skfashion.exceptions import DataFileError

SUPPORTED = ["u1", "i1", "i2", "i4", "f4", "f8"]


def _dtypes():
    # Either byte order: the writer must store big-endian whatever it is given.
    return st.sampled_from(SUPPORTED).flatmap(
        lambda code: st.sampled_from(
            [np.dtype(code), np.dtype(">" + code), np.dtype("<" + code)]
        )
    )


def _arrays():
    return _dtypes().flatmap(
        lambda dtype: hnp.arrays(
            dtype,
            hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
        )
    )


def _assert_consistent(array, n_bytes):
    """A successfully read array must account for every byte of the file."""
    assert 1 <= array.ndim <= 4
    assert array.dtype.isnative
    assert n_bytes == 4 + 4 * array.ndim + array.size * array.dtype.itemsize


def _read_or_reject(data):
    try:
        array = read_idx(data, name="corrupt-file")
    except DataFileError as exc:
        assert "corrupt-file" in str(exc)
        return None
    return array


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(array=_arrays(), compress=st.booleans())
def test_round_trip(tmp_path, array, compress):
    # The suffix says nothing: compression must be detected from the content.
    path = tmp_path / "data-idx"
    write_idx(path, array, compress=compress)
    with open(path, "rb") as f:
        assert (f.read(2) == b"\x1f\x8b") == compress
    result = read_idx(path)
    assert result.dtype == array.dtype.newbyteorder("=")
    assert result.dtype.isnative
    assert result.flags.writeable
    np.testing.assert_array_equal(result, array)


@given(array=_arrays())
def test_round_trip_bytes(array):
    encoded = _encode_idx(array)
    _assert_consistent(read_idx(encoded), len(encoded))
    np.testing.assert_array_equal(read_idx(gzip.compress(encoded)), array)
    np.testing.assert_array_equal(read_idx(bytearray(encoded)), array)
    np.testing.assert_array_equal(read_idx(memoryview(encoded)), array)


def test_gz_suffix_compresses_by_default(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "a", array)
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a").read_bytes()[:2] == b"\x00\x00"
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), array)
    np.testing.assert_array_equal(read_idx(str(tmp_path / "a")), array)


def test_known_encoding():
    # Checked against the format description, not just against our reader.
    expected = b"\x00\x00\x0b\x01\x00\x00\x00\x02\x00\x01\xff\xfe"
    assert _encode_idx(np.array([1, -2], dtype="<i2")) == expected
    result = read_idx(expected)
    assert result.dtype == np.dtype("=i2")
    np.testing.assert_array_equal(result, [1, -2])


@pytest.mark.parametrize(
    "array",
    [
        np.zeros(3, dtype=np.int64),
        np.zeros(3, dtype=bool),
        np.zeros(3, dtype=np.complex64),
        np.array(5, dtype=np.uint8),
        np.zeros((1, 1, 1, 1, 1), dtype=np.uint8),
    ],
)
def test_write_rejects_unsupported(tmp_path, array):
    with pytest.raises(ValueError, match="IDX|dimensions"):
        write_idx(tmp_path / "x", array)
    assert not (tmp_path / "x").exists()


def test_truncated_file_message_names_path_and_sizes(tmp_path):
    path = tmp_path / "images-idx3-ubyte"
    write_idx(path, np.zeros((2, 3, 4), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DataFileError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "40 bytes" in message  # 16 header + 24 data
    assert "35 bytes" in message
    assert "truncated" in message


def test_trailing_bytes_rejected(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(_encode_idx(np.arange(4, dtype=np.uint8)) + b"\x00")
    with pytest.raises(DataFileError, match="1 trailing bytes"):
        read_idx(path)


def test_corrupt_gzip_names_file(tmp_path):
    path = tmp_path / "labels.gz"
    payload = gzip.compress(_encode_idx(np.arange(100, dtype=np.uint8)))
    path.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(DataFileError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_huge_declared_shape_is_a_data_file_error():
    header = bytes([0, 0, 0x0E, 4]) + struct.pack(">4I", *[2**32 - 1] * 4)
    with pytest.raises(DataFileError, match="needs"):
        read_idx(header + b"\x00" * 8)


def test_missing_file_is_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "too short"),
        (b"\x00\x00\x08", "too short"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x00", "first two bytes"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x00", "data type code 0x0a"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x05" + b"\x00" * 20, "5 dimensions"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated header"),
    ],
)
def test_bad_headers(data, match):
    with pytest.raises(DataFileError, match=match):
        read_idx(data)


@st.composite
def _corrupted(draw):
    """Valid IDX bytes with one kind of damage; returns (bytes, must_fail)."""
    array = draw(_arrays())
    data = bytearray(_encode_idx(array))
    header_size = 4 + 4 * array.ndim
    kind = draw(
        st.sampled_from(
            [
                "truncate",
                "append",
                "magic",
                "dtype",
                "ndim",
                "dims",
                "header_bit",
                "any_bit",
                "garbage",
            ]
        )
    )
    must_fail = True
    if kind == "truncate":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "append":
        data += draw(st.binary(min_size=1, max_size=32))
    elif kind == "magic":
        data[draw(st.integers(0, 1))] = draw(st.integers(1, 255))
    elif kind == "dtype":
        data[2] = draw(st.integers(0, 255).filter(lambda c: c not in _CODE_TO_DTYPE))
    elif kind == "ndim":
        data[3] = draw(st.integers(0, 255).filter(lambda n: n != array.ndim))
        # A different ndim reinterprets the dims; it may by chance still fit.
        must_fail = not 1 <= data[3] <= 4
    elif kind == "dims":
        position = 4 + 4 * draw(st.integers(0, array.ndim - 1))
        struct.pack_into(">I", data, position, draw(st.integers(0, 2**32 - 1)))
        must_fail = False
    elif kind in ("header_bit", "any_bit"):
        limit = header_size if kind == "header_bit" else len(data)
        bit = draw(st.integers(0, 8 * limit - 1))
        data[bit // 8] ^= 1 << (bit % 8)
        must_fail = False
    else:
        data = bytearray(draw(st.binary(max_size=64)))
        must_fail = False
    return bytes(data), must_fail


@settings(max_examples=300, deadline=None)
@given(case=_corrupted())
def test_corruption_raises_data_file_error_only(case):
    data, must_fail = case
    array = _read_or_reject(data)
    if array is None:
        return
    assert not must_fail
    _assert_consistent(array, len(data))


@settings(max_examples=150, deadline=None)
@given(array=_arrays(), data=st.data())
def test_gzip_corruption_raises_data_file_error_only(array, data):
    payload = bytearray(gzip.compress(_encode_idx(array), mtime=0))
    kind = data.draw(st.sampled_from(["truncate", "bit", "append"]))
    if kind == "truncate":
        payload = payload[: data.draw(st.integers(2, len(payload) - 1))]
    elif kind == "bit":
        bit = data.draw(st.integers(0, 8 * len(payload) - 1))
        payload[bit // 8] ^= 1 << (bit % 8)
    else:
        payload += data.draw(st.binary(min_size=1, max_size=16))
    payload = bytes(payload)
    result = _read_or_reject(payload)
    if result is not None:
        content = gzip.decompress(payload) if payload[:2] == b"\x1f\x8b" else payload
        _assert_consistent(result, len(content))
