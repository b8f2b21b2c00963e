"""The audit gate fails closed on pickle-bearing content (issue 10, items 1, 2, 5 and the walk half of 6).

Every case of ``adversarial_cases.CASES`` is audited with no policy (the shipped default): each
``fail`` case exits 1 with ``pickle_dangerous_globals`` or ``unscanned_content``, each ``clean`` case
exits 0 with neither, each ``not_malicious`` case is never called dangerous. Nothing is executed:
the payloads would create a marker file, which must not exist afterwards.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from adversarial_cases import CASES, P_SYSTEM, build, memo_dup_trick, zip_bytes
from pydantic import ValidationError

from modelcensus.audit import audit
from modelcensus.audit.pickle_walk import Budget, walk
from modelcensus.audit.pickles import _SafeGlobalsFile, safe_globals, scan_pickle_file

MARKER = Path("/tmp/modelcensus-PWNED")
GATE_CODES = {"pickle_dangerous_globals", "unscanned_content"}


def _audit(path: Path, registry):
    old = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("audit hung")))
    signal.alarm(60)  # a FIFO opened for reading would block forever
    try:
        return audit([str(path)], registry=registry)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_under_the_default_policy(case, tmp_path: Path, registry) -> None:
    MARKER.unlink(missing_ok=True)
    target = build(case, tmp_path)
    report = _audit(target, registry)
    assert not report.errors, report.errors
    (d,) = report.dossiers
    codes = {f.code for f in d.flags}
    if case.expect == "fail":
        assert report.exit_code == 1, (case.why, [f.as_dict() for f in d.flags])
        assert codes & GATE_CODES, (case.why, codes)
    elif case.expect == "clean":
        assert report.exit_code == 0, (case.why, [f.as_dict() for f in d.flags if f.code in GATE_CODES])
        assert not codes & GATE_CODES
    else:
        assert "pickle_dangerous_globals" not in codes, [f.as_dict() for f in d.flags]
    assert not MARKER.exists()


def _flag(report, code: str):
    return next(f for f in report.dossiers[0].flags if f.code == code)


def test_memo_trick_resolves_to_the_real_global(tmp_path: Path) -> None:
    """picklescan names this global 'None.system' (suspicious); the symbolic stack sees os.system."""
    res = walk(memo_dup_trick(), 0, len(memo_dup_trick()), Budget(1000, 1000))
    assert res.complete and [str(g) for g in res.globals] == ["os.system"]
    p = tmp_path / "m.pkl"
    p.write_bytes(memo_dup_trick())
    scan = scan_pickle_file(p)
    assert scan.dangerous == ["os.system"] and "picklescan: dangerous" in scan.why["os.system"]


def test_unknown_global_is_dangerous_with_the_reason(tmp_path: Path, registry) -> None:
    p = tmp_path / "x.pkl"
    p.write_bytes(b"\x80\x04\x8c\x04code\x8c\x16InteractiveInterpreter\x93)R.")
    flag = _flag(_audit(p, registry), "pickle_dangerous_globals")
    assert "code.InteractiveInterpreter (not a known-safe callable (picklescan alone rates it suspicious); in" in \
        flag.evidence


def test_evidence_names_what_was_not_read(tmp_path: Path, registry) -> None:
    p = tmp_path / "enc.zip"
    from adversarial_cases import _encrypted_zip

    p.write_bytes(_encrypted_zip())
    report = _audit(p, registry)
    assert "enc.zip:data.pkl: encrypted (password-protected) member" in _flag(report, "unscanned_content").evidence
    assert "os.system" in _flag(report, "pickle_dangerous_globals").evidence  # the flag bit alone hides nothing


def test_pickle_then_zip_scans_both_layers(tmp_path: Path) -> None:
    p = tmp_path / "pytorch_model.bin"
    p.write_bytes(P_SYSTEM + zip_bytes({"archive/data.pkl": b"\x80\x02cposix\nsystem\n."}))
    scan = scan_pickle_file(p)
    assert set(scan.dangerous) == {"os.system", "posix.system"}
    assert any("appended" in n for n in scan.notes)


def test_scan_budget_shared_by_the_files_of_a_target(tmp_path: Path) -> None:
    """Past the target's opcode budget every further file is unscanned, even a clean one."""
    budget = Budget(max_ops=50, max_bytes=1 << 20)
    for i in range(3):
        (tmp_path / f"{i}.pkl").write_bytes(b"\x80\x04" + b"N0" * 10 + b"N.")
    scans = [scan_pickle_file(tmp_path / f"{i}.pkl", budget) for i in range(3)]
    assert [bool(s.unscanned) for s in scans] == [False, False, True]
    assert "scan limit reached" in scans[2].unscanned[0]


def test_safe_globals_file_is_validated() -> None:
    assert ("collections", "OrderedDict") in safe_globals()
    assert ("builtins", "getattr") not in safe_globals() and ("posix", "system") not in safe_globals()
    with pytest.raises(ValidationError):
        _SafeGlobalsFile.model_validate({"version": 1, "globals": [{"module": "os", "names": ["system"]}]})
    with pytest.raises(ValidationError):
        _SafeGlobalsFile.model_validate({"version": 1, "globals": [
            {"module": "os system", "names": ["x"], "evidence": "a long enough piece of evidence"}]})


def test_standalone_archive_targets_are_audited_not_refused(tmp_path: Path, registry) -> None:
    for name in ("a.zip", "b.npz", "c.npy", "d.joblib", "e.7z", "f.ckpt"):
        (tmp_path / name).write_bytes(b"\x80\x04N.")
    report = audit([str(tmp_path / n) for n in ("a.zip", "b.npz", "c.npy", "d.joblib", "e.7z", "f.ckpt")],
                   registry=registry)
    assert not report.errors and len(report.dossiers) == 6


def test_joblib_array_that_claims_more_bytes_than_the_file_is_unscanned(tmp_path: Path) -> None:
    from adversarial_cases import _joblib_arrays

    data = _joblib_arrays()
    assert b"K\x64\x85" in data  # shape (100,) of the first array
    p = tmp_path / "m.joblib"
    p.write_bytes(data.replace(b"K\x64\x85", b"M\xff\xff\x85", 1))  # (65535,): 512 KB that are not there
    scan = scan_pickle_file(p)
    assert scan.dangerous == [] and "joblib array data runs past the end" in scan.unscanned[0]


def test_overlong_line_argument_is_unscanned_not_not_a_pickle(tmp_path: Path) -> None:
    """A protocol-0 string longer than the walk's line limit, then a payload: the walk stops, and the
    rest is reported unscanned (never waved through as 'not a pickle')."""
    from adversarial_cases import P0_SYSTEM

    from modelcensus.audit.pickle_walk import MAX_LINE

    p = tmp_path / "weights"
    p.write_bytes(b"S'" + b"a" * (MAX_LINE + 10) + b"'\n0" + P0_SYSTEM)
    scan = scan_pickle_file(p)
    assert scan.unscanned and "longer than" in scan.unscanned[0]
