"""The bulk path's byte scan equals a brute-force count, whatever the chunk boundaries."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coordkit.ingest import bulk_load


def _reference(data: bytes) -> dict:
    """The same counts, one byte at a time."""
    controls = {b for b in data if (b < 32 or b == 127) and b not in (10, 13)}
    pairs = [data[i : i + 2] for i in range(len(data) - 1)]
    return {
        "lf": data.count(10),
        "cr": data.count(13),
        "crlf": sum(p == b"\r\n" for p in pairs),
        "nul": int(0 in controls),
        "space_quote": sum(p in (b' "', b'" ') for p in pairs),
        "controls": controls,
        "last": data[-1:],
        "ascii": all(b < 128 for b in data),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.sampled_from([b"a", b'"', b" ", b"\r", b"\n", b"\0", b"\t", b"\x7f", b"\xc3\xa9", b";"]),
                     min_size=1, max_size=40).map(b"".join),
       chunk=st.integers(1, 7))
@example(data=b"a\r\nb", chunk=2)  # a CRLF split across chunks, no CR in the second
@example(data=b'a" b', chunk=2)  # a quote and its space in two chunks
def test_scan_equals_brute_force(tmp_path_factory, monkeypatch, data, chunk):
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(data)
    with monkeypatch.context() as patched:
        patched.setattr(bulk_load, "_CHUNK", chunk)
        counts = bulk_load.scan_bytes(path)
    expected = _reference(data)
    # a quote between two spaces is one pair each side: the reference counts both, as the scan does
    assert counts == expected


def test_scan_of_a_plain_export(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_bytes(b"id,name\r\n1,\"a b\"\r\n2, \"c\"\r\n")
    counts = bulk_load.scan_bytes(path)
    assert (counts["lf"], counts["cr"], counts["crlf"], counts["space_quote"], counts["nul"]) == (3, 3, 3, 1, 0)
    assert counts["controls"] == set() and counts["ascii"]
    path.write_bytes("id,name\n1,Müller\n".encode())
    assert not bulk_load.scan_bytes(path)["ascii"]
