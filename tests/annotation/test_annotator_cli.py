"""`atlass annotate`: arguments become a session (or a prefilled start dialog); bad input is an
error message and exit code 1, before any window or folder is made."""
import pytest

from annotator import cli
from annotator.errors import AnnotatorError
from atlass_cli.main import build_parser, main


@pytest.fixture
def started(monkeypatch):
    """Replace the Qt app: record what it would have shown, close the session."""
    calls = []
    ui_app = pytest.importorskip("annotator.ui.app")

    def fake_run_app(session, request):
        calls.append((session, request))
        if session is not None:
            session.close()
        return 0
    monkeypatch.setattr(ui_app, "run_app", fake_run_app)
    return calls


def test_the_annotate_command_is_listed_and_parsed():
    parser = build_parser()
    assert "annotate" in parser.format_help()
    args = parser.parse_args(["annotate", "imgs", "--output", "out", "--categories", "A, B"])
    assert (args.images, args.output, args.categories) == ("imgs", "out", "A, B")
    assert cli.parse_categories(" G1 ,S") == ["G1", "S"]
    with pytest.raises(AnnotatorError, match="empty name"):
        cli.parse_categories("G1,,S")


def test_everything_given_opens_the_window_on_a_new_session(flat_folder, tmp_path, started):
    assert main(["annotate", str(flat_folder), "-o", str(tmp_path / "out"), "-c", "G1,S"]) == 0
    (session, request), = started
    assert session.categories == ["G1", "S"] and len(session) == 12
    assert (tmp_path / "out" / "unlabelled").is_dir()


def test_output_alone_continues_and_partial_arguments_prefill_the_dialog(flat_folder, tmp_path, started):
    main(["annotate", str(flat_folder), "-o", str(tmp_path / "out"), "-c", "G1"])
    assert main(["annotate", "--output", str(tmp_path / "out")]) == 0
    assert started[1][0].categories == ["G1"]
    assert main(["annotate", str(flat_folder), "-o", str(tmp_path / "out")]) == 0     # same images: continue
    assert started[2][0] is not None
    assert main(["annotate", str(flat_folder)]) == 0
    assert started[3][0] is None and started[3][1].images == flat_folder
    assert main(["annotate"]) == 0 and started[4] == (None, cli.StartRequest())


def test_bad_input_is_a_message_and_exit_code_1(flat_folder, tmp_path, started, capsys):
    assert main(["annotate", str(flat_folder), "-o", str(tmp_path / "out"), "-c", "G1,AUX"]) == 1
    assert "reserved by Windows" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and started == []
    assert main(["annotate", "--output", str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().err
