import codecs

import pytest

from textmine.errors import TranscriptError
from textmine.io.decode import decode


@pytest.mark.parametrize("bom,codec", [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
])
def test_bom_is_removed_and_not_counted(tmp_path, bom, codec):
    text = "Interviewer: Hello\r\nP1: Café"
    assert decode(bom + text.encode(codec), tmp_path / "t.txt") == text


def test_undecodable_byte_names_file_line_and_byte(tmp_path):
    data = b"line one\nline two caf" + b"\xe9\n"
    with pytest.raises(TranscriptError) as err:
        decode(data, tmp_path / "t.txt")
    message = str(err.value)
    assert "t.txt" in message and "line 2" in message and "0xe9" in message
    assert "input.encoding" in message


def test_configured_encoding_decodes_cp1252(tmp_path):
    assert decode("caf\u00e9 \u2019".encode("cp1252"), tmp_path / "t.txt",
                  encoding="cp1252") == "caf\u00e9 \u2019"


def test_nul_bytes_are_binary_not_text(tmp_path):
    with pytest.raises(TranscriptError, match="NUL"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00", tmp_path / "t.txt")


def test_unknown_codec_is_a_config_problem(tmp_path):
    with pytest.raises(TranscriptError, match="unknown text encoding"):
        decode(b"abc", tmp_path / "t.txt", encoding="no-such-codec")
