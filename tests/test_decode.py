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


# ---------------------------------------------------------------- issue 10: latin-1 reads anything
def test_binary_junk_is_refused_even_by_latin1(tmp_path):
    """latin-1 decodes every byte: junk used to be read as a transcript."""
    import random

    rng = random.Random(7)
    junk = bytes(rng.randrange(1, 256) for _ in range(4000))  # no NUL byte to give it away
    with pytest.raises(TranscriptError, match="control characters") as err:
        decode(junk, tmp_path / "t.txt", encoding="latin-1")
    assert err.value.key == "input.encoding" and "binary data" in err.value.hint


@pytest.mark.parametrize("written,hint", [("utf-8", "set input.encoding to utf-8"),
                                          ("cp1252", "set input.encoding to cp1252")])
def test_a_wrong_encoding_is_named_when_the_bytes_show_it(tmp_path, written, hint):
    text = "F: \u201cIt\u2019s fine\u201d \u2013 really.\nP1: Yes \u2013 \u201cquite\u201d.\n" * 30
    with pytest.raises(TranscriptError) as err:
        decode(text.encode(written), tmp_path / "t.txt", encoding="latin-1")
    assert hint in err.value.hint


def test_a_few_control_characters_are_reported(tmp_path):
    from textmine.errors import TextmineWarning

    text = "Interviewer: Hello\nP1: Fine\x07 thanks, and you?\n" + "P1: More words here.\n" * 20
    with pytest.warns(TextmineWarning, match=r"t.txt: 1 control character\(s\), first on line 2"):
        assert decode(text.encode(), tmp_path / "t.txt") == text


@pytest.mark.parametrize("codec", ["rot13", "base64", "zlib"])
def test_a_codec_that_is_not_a_text_encoding_is_an_error(tmp_path, codec):
    with pytest.raises(TranscriptError, match="not a text encoding"):
        decode(b"F: hello\n", tmp_path / "t.txt", encoding=codec)
