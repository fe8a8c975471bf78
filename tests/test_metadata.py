import pandas as pd
import pytest

import textmine as tm
from textmine.errors import MetadataError
from textmine.io.metadata import read_metadata


def _transcripts(folder, names=("int01", "int02")):
    for name in names:
        (folder / f"{name}.txt").write_text("Interviewer: Why?\nP1: Because it worked well.\n")
    return str(folder / "*.txt")


def test_dates_with_explicit_format_and_iso(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_text("doc_id,date,recorded,site\nint01,23/03/2020,2020-03-23,North\n"
                    "int02,01/04/2020,2020-04-01,\n")
    meta = read_metadata(path, dates={"date": "%d/%m/%Y", "recorded": "iso"})
    assert list(meta["date"]) == [pd.Timestamp("2020-03-23"), pd.Timestamp("2020-04-01")]
    assert list(meta["date"]) == list(meta["recorded"])
    assert meta["site"].isna().tolist() == [False, True]


def test_ambiguous_date_is_an_error_naming_line_and_key(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_text("doc_id,date\nint01,2020-03-23\nint02,03/04/2020\n")
    with pytest.raises(MetadataError) as err:
        read_metadata(path, dates={"date": "iso"})
    message = str(err.value)
    assert "meta.csv, line 3" in message and "ambiguous" in message
    assert "input.dates.date" in message


def test_date_not_matching_format_names_line(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_text("doc_id,date\nint01,23/03/2020\nint02,2020-13-45\n")
    with pytest.raises(MetadataError, match=r"line 3.*does not match %d/%m/%Y"):
        read_metadata(path, dates={"date": "%d/%m/%Y"})


def test_mixed_formats_listed_in_order(data_dir, tmp_path):
    # the NHS comments mix day/month and month/day dates (e.g. 10/17/2021)
    raw = pd.read_csv(data_dir / "nhs_patient_experience" / "v6framework_230831.csv",
                      usecols=["Comment ID", "Date"], dtype=str)
    raw = raw.drop_duplicates("Comment ID").rename(columns={"Comment ID": "doc_id"})
    path = tmp_path / "meta.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(MetadataError, match=r"line \d+: date '\d+/(1[3-9]|2\d|3[01])/"):
        read_metadata(path, dates={"Date": "%d/%m/%Y"})
    # listing both formats is the researcher's explicit rule: day-first wins when both fit
    meta = read_metadata(path, dates={"Date": ["%d/%m/%Y", "%m/%d/%Y"]})
    assert meta["Date"].notna().all()
    assert meta["Date"].min() >= pd.Timestamp("2020-01-01")
    assert meta["Date"].max() <= pd.Timestamp("2022-12-31")


@pytest.mark.parametrize("content,needle", [
    ("doc_id,site\nint01,N\nint01,S\n", "appears twice (also on line 2)"),
    ("doc_id,site\nint01,N\n,S\n", "empty 'doc_id' cell"),
    ("file,site\nint01,N\n", "no column 'doc_id'"),
])
def test_bad_ids(tmp_path, content, needle):
    path = tmp_path / "meta.csv"
    path.write_text(content)
    with pytest.raises(MetadataError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        read_metadata(path)


def test_transcript_without_metadata_row_is_an_error(tmp_path):
    (tmp_path / "meta.csv").write_text("doc_id,site\nint01,North\n")
    with pytest.raises(MetadataError) as err:
        tm.io.read_transcripts(_transcripts(tmp_path), metadata=str(tmp_path / "meta.csv"))
    assert "'int02'" in str(err.value) and "meta.csv" in str(err.value)


def test_xlsx_metadata_with_real_date_cells_and_leading_zeros(tmp_path):
    frame = pd.DataFrame({"id": ["int01", "int02"], "network": ["007", "012"],
                          "date": pd.to_datetime(["2019-05-02", "2020-06-30"])})
    frame.to_excel(tmp_path / "meta.xlsx", index=False)
    corpus = tm.io.read_transcripts(_transcripts(tmp_path), metadata=str(tmp_path / "meta.xlsx"),
                                    doc_id_column="id", dates={"date": "iso"})
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["int01", "network"] == "007"
    assert docs.loc["int02", "date"] == pd.Timestamp("2020-06-30")


def test_metadata_rows_without_transcript_are_reported(tmp_path):
    (tmp_path / "meta.csv").write_text("doc_id,site\nint01,N\nint02,S\nint03,E\n")
    with pytest.warns(tm.TextmineWarning, match="1 row.*match no transcript"):
        corpus = tm.io.read_transcripts(_transcripts(tmp_path),
                                        metadata=str(tmp_path / "meta.csv"))
    assert corpus.n_docs == 2


def test_doc_id_column_elsewhere_never_overwrites_the_join_key(tmp_path):
    """Issue 10: with doc_id_column: file, a sheet's own doc_id column must not be the key.

    It used to overwrite the ids silently: P01 got P02's network.
    """
    for name in ("P01", "P02"):
        (tmp_path / f"{name}.txt").write_text(
            "Interviewer: Why?\nP1: Because the network asked us to.\n")
    (tmp_path / "meta.csv").write_text(
        "file,doc_id,network\nP01,P02,North\nP02,P01,South\n")
    with pytest.warns(tm.TextmineWarning, match="'doc_id' -> 'meta_doc_id'"):
        corpus = tm.io.read_transcripts(str(tmp_path / "*.txt"),
                                        metadata=str(tmp_path / "meta.csv"),
                                        doc_id_column="file")
    docs = corpus.documents.set_index("doc_id")
    assert docs.loc["P01", "network"] == "North" and docs.loc["P02", "network"] == "South"
    assert docs.loc["P01", "meta_doc_id"] == "P02"
    assert "file" not in docs.columns  # the key column is doc_id itself
    tm.pp.segment(corpus, unit="turn")
    segs = corpus.segments.set_index("doc_id")
    assert segs.loc["P01", "network"] == "North"


def test_columns_named_like_textmines_are_kept_not_refused(tmp_path):
    """role, source, text, speaker, format, sha256, doc_id: a researcher's own columns."""
    (tmp_path / "t").mkdir()  # the run folder may not lie where transcripts are read from
    for name in ("int01", "int02"):
        (tmp_path / "t" / f"{name}.txt").write_text(
            "Interviewer: What is your job?\nP1: I run the regional network office.\n")
    sheet = pd.DataFrame({
        "id": ["int01", "int02"], "role": ["Network manager", "Nurse"],
        "source": ["Teams recording", "phone"], "text": ["yes", "no"],
        "speaker": ["Ann", "Bo"], "format": ["video", "audio"], "sha256": ["a1", "b2"],
        "doc_id": ["x", "y"], "meta_source": ["kept", "kept"], "network": ["N1", "N2"]})
    sheet.to_csv(tmp_path / "meta.csv", index=False)
    config = {"input": {"transcripts": str(tmp_path / "t" / "*.txt"),
                        "metadata": str(tmp_path / "meta.csv"), "doc_id_column": "id"},
              "segment": {"unit": "turn", "min_words": 1}, "embed": {"enabled": False}}
    result = tm.run(config, out=tmp_path / "run")
    documents = pd.read_parquet(tmp_path / "run" / "corpus" / "documents.parquet")
    segments = pd.read_parquet(tmp_path / "run" / "corpus" / "segments.parquet")
    docs = documents.set_index("doc_id")
    # textmine's columns keep their meaning; the user's keep their values, under meta_<name>
    assert docs.loc["int01", "source"].endswith("int01.txt")
    assert docs.loc["int01", "format"] == "text"
    assert docs.loc["int02", "meta_role"] == "Nurse"
    # the sheet has its own meta_source: that one keeps its name, source gets one more prefix
    assert docs.loc["int01", "meta_source"] == "kept"
    assert docs.loc["int01", "meta_meta_source"] == "Teams recording"
    for column in ("text", "speaker", "format", "sha256", "doc_id"):
        assert f"meta_{column}" in docs.columns
    assert docs.loc["int02", "network"] == "N2"  # other columns keep their names
    # one name everywhere: the same columns on the segments, textmine's role untouched
    assert set(segments["role"]) == {"participant"}
    assert set(segments["meta_role"]) == {"Network manager", "Nurse"}
    assert {"meta_text", "meta_speaker", "network"} <= set(segments.columns)
    read = result.manifest["stages"]["read"]
    assert read["renamed_columns"]["role"] == "meta_role"
