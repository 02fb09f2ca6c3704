"""``carehelm roster`` solve/check: exit codes and the roster.json contract."""

import json

from carehelm.engines.rostering.cli import main


def test_solve_writes_a_roster_that_check_accepts(instance_path, tmp_path, capsys):
    out = tmp_path / "roster.json"
    assert (
        main(["solve", str(instance_path(1)), "--time-limit", "5", "--out", str(out), "--no-progress"]) == 0
    )
    payload = json.loads(out.read_text())
    assert payload["instance"] == "Instance1" and payload["objective"] == 607
    assert len(payload["roster"]) == 8 and all(len(row) == 14 for row in payload["roster"].values())
    assert main(["check", str(instance_path(1)), str(out)]) == 0
    assert "objective 607" in capsys.readouterr().out


def test_check_exits_1_and_lists_violations(instance_path, tmp_path, capsys):
    roster = {s: ["D"] * 14 for s in "ABCDEFGH"}  # everyone works every day: many broken rules
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"instance": "Instance1", "roster": roster}))
    assert main(["check", str(instance_path(1)), str(path)]) == 1
    out = capsys.readouterr().out
    assert "[max_consecutive]" in out and "[day_off]" in out


def test_a_bad_instance_file_exits_2_naming_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text(
        "SECTION_HORIZON\n14\n\nSECTION_SHIFTS\nD,eight hours,\n\nSECTION_STAFF\nA,D=14,4320,3360,5,2,2,1\n"
    )
    assert main(["check", str(bad), str(tmp_path / "none.json")]) == 2
    assert f"{bad} line 5:" in capsys.readouterr().err
