"""CSV imports of staff and credentials: all or nothing, every problem named by row, column and reason.

"A CSV with one bad row among a hundred good ones is refused whole with that row named."
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from carehelm.audit.models import AuditEvent
from carehelm.validation import FieldProblem, InvalidInput
from carehelm.workforce import services
from carehelm.workforce.models import Staff, StaffCredential
from tests import factories as f

STAFF_HEADER = "employee_number,first_name,last_name,email,job_role,facility,home_unit,float_units,fte,hire_date,hourly_rate,skills"
CRED_HEADER = (
    "employee_number,credential,number,issuer,issued_on,expires_on,verification_source,verification_result"
)


def staff_rows(n: int, *, unit: str = "ICU", start: int = 0) -> list[str]:
    return [
        f"IMP{start + i:04d},Pat{i},Nguyen{i},pat{i}@example.org,rn,rgh,{unit},MS4,0.9,2023-0{1 + i % 9}-15,"
        f"{40 + i % 20}.25,critical-care;iv-therapy"
        for i in range(n)
    ]


def csv_text(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def problems_of(exc: pytest.ExceptionInfo) -> list[FieldProblem]:
    return exc.value.problems


def _counts():
    return Staff.objects.count(), StaffCredential.objects.count(), AuditEvent.objects.count()


# --- staff ------------------------------------------------------------------------------------------


def test_a_good_staff_file_imports_every_row_with_an_audit_event(world):
    result = services.import_staff_csv(content=csv_text(STAFF_HEADER, staff_rows(30)), filename="icu.csv")
    assert (result.created, result.updated) == (30, 0)
    person = Staff.objects.get(employee_number="IMP0007")
    assert (person.first_name, person.home_unit, person.job_role.code) == ("Pat7", world.icu, "rn")
    assert str(person.fte) == "0.90" and str(person.hourly_rate) == "47.25"
    assert list(person.float_units.all()) == [world.medsurg]
    assert {s.code for s in person.skills.all()} == {"critical-care", "iv-therapy"}
    event = AuditEvent.objects.get(action="staff.imported")
    assert "icu.csv" in event.summary and "30 staff added" in event.summary


def test_one_bad_staff_row_among_a_hundred_refuses_the_whole_file_naming_that_row(world):
    rows = staff_rows(100)
    rows[56] = rows[56].replace("2023-0", "2023/0")  # a bad hire date on data row 57 = file line 58
    before = _counts()
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(content=csv_text(STAFF_HEADER, rows), filename="icu.csv")
    assert [(p.row, p.field, p.file) for p in problems_of(exc)] == [(58, "hire_date", "icu.csv")]
    assert "YYYY-MM-DD" in problems_of(exc)[0].message
    assert "nothing was saved" in exc.value.title
    assert _counts() == before


@pytest.mark.parametrize(
    ("column", "bad", "reason"),
    [
        ("job_role", "astronaut", "unknown job role"),
        ("home_unit", "NOPE", "no unit"),
        ("fte", "two", "expected a number"),
        ("fte", "3", "between"),
        ("hourly_rate", "-5", "between"),
        ("skills", "juggling", "unknown skill"),
        ("first_name", "", "required"),
    ],
)
def test_each_bad_staff_value_is_named_by_row_column_and_reason(world, column, bad, reason):
    columns = STAFF_HEADER.split(",")
    rows = staff_rows(3)
    values = rows[1].split(",")
    values[columns.index(column)] = bad
    rows[1] = ",".join(values)
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(content=csv_text(STAFF_HEADER, rows), filename="s.csv")
    problem = problems_of(exc)[0]
    assert (problem.row, problem.field) == (3, column)
    assert reason in problem.message
    assert not Staff.objects.filter(employee_number__startswith="IMP").exists()


def test_reimporting_a_staff_file_updates_the_existing_people(world):
    services.import_staff_csv(content=csv_text(STAFF_HEADER, staff_rows(5)), filename="first.csv")
    changed = [r.replace("Nguyen2,", "Nguyen-Okoro,") for r in staff_rows(5)]
    result = services.import_staff_csv(content=csv_text(STAFF_HEADER, changed), filename="second.csv")
    assert (result.created, result.updated) == (0, 5)
    assert Staff.objects.filter(employee_number__startswith="IMP").count() == 5
    assert Staff.objects.get(employee_number="IMP0002").last_name == "Nguyen-Okoro"
    update = AuditEvent.objects.filter(
        action="staff.updated", object_id=str(Staff.objects.get(employee_number="IMP0002").pk)
    ).get()
    assert update.changes["last_name"] == ["Nguyen2", "Nguyen-Okoro"]


def test_duplicate_employee_numbers_in_one_file_are_refused(world):
    rows = staff_rows(4)
    rows[3] = rows[3].replace("IMP0003", "IMP0001")
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(content=csv_text(STAFF_HEADER, rows), filename="dup.csv")
    problem = problems_of(exc)[0]
    assert (problem.row, problem.field) == (5, "employee_number")
    assert "row 3" in problem.message
    assert not Staff.objects.filter(employee_number__startswith="IMP").exists()


def test_a_unit_manager_cannot_import_staff_into_another_unit(world):
    rows = staff_rows(3) + staff_rows(1, unit="MS4", start=50)
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(
            actor=world.users["unit_manager"], content=csv_text(STAFF_HEADER, rows), filename="mixed.csv"
        )
    assert [(p.row, p.field) for p in problems_of(exc)] == [(5, "home_unit")]
    assert "outside the units you manage" in problems_of(exc)[0].message
    assert not Staff.objects.filter(employee_number__startswith="IMP").exists()


def test_a_unit_manager_cannot_overwrite_a_person_outside_their_units(world):
    row = f"{world.medsurg_nurse.employee_number},Marco,Hijacked,,rn,rgh,ICU,,1,2020-01-06,45,"
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(actor=world.users["unit_manager"], content=csv_text(STAFF_HEADER, [row]))
    assert problems_of(exc)[0].field == "employee_number"
    world.medsurg_nurse.refresh_from_db()
    assert world.medsurg_nurse.last_name == "Lindqvist"


def test_a_unit_manager_imports_staff_into_their_own_unit(world):
    result = services.import_staff_csv(
        actor=world.users["unit_manager"], content=csv_text(STAFF_HEADER, staff_rows(3))
    )
    assert result.created == 3
    assert AuditEvent.objects.filter(action="staff.imported", actor=world.users["unit_manager"]).exists()


@pytest.mark.parametrize(
    ("header", "field", "message"),
    [
        (
            "employee_number,first_name,last_name,job_role,facility,hire_date,hourly_rate",
            "home_unit",
            "missing",
        ),
        (STAFF_HEADER + ",shoe_size", "shoe_size", "unknown column"),
    ],
)
def test_a_bad_header_is_refused_before_any_row_is_read(world, header, field, message):
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(content=header + "\nX1,A,B,rn,rgh,2020-01-01,40\n", filename="h.csv")
    problem = next(p for p in problems_of(exc) if p.field == field)
    assert problem.row == 1 and message in problem.message


def test_a_file_that_is_not_utf8_is_refused_naming_the_file(world):
    content = csv_text(STAFF_HEADER, staff_rows(2)).replace("Pat1", "Zoë").encode("latin-1")
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(content=content, filename="latin.csv")
    problem = problems_of(exc)[0]
    assert (problem.file, problem.field) == ("latin.csv", "file")
    assert "UTF-8" in problem.message
    assert not Staff.objects.filter(employee_number__startswith="IMP").exists()


def test_a_utf8_file_with_a_byte_order_mark_imports(world):
    content = ("\ufeff" + csv_text(STAFF_HEADER, staff_rows(2)).replace("Pat1", "Zoë")).encode("utf-8")
    assert services.import_staff_csv(content=content).created == 2
    assert Staff.objects.filter(first_name="Zoë").exists()


def test_a_row_with_more_values_than_the_header_is_named(world):
    rows = staff_rows(3)
    rows[2] += ",extra"
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(content=csv_text(STAFF_HEADER, rows))
    assert [(p.row, p.field) for p in problems_of(exc)] == [(4, "row")]


def test_a_header_without_rows_is_refused(world):
    with pytest.raises(InvalidInput) as exc:
        services.import_staff_csv(content=STAFF_HEADER + "\n")
    assert "no data rows" in problems_of(exc)[0].message


# --- credentials ------------------------------------------------------------------------------------


@pytest.fixture
def hundred_staff(world):
    # Built directly (not imported) so the credential tests do not pay for a staff import each.
    Staff.objects.bulk_create(
        [
            Staff(
                employee_number=f"IMP{i:04d}",
                first_name=f"Pat{i}",
                last_name=f"Nguyen{i}",
                job_role=f.job_role("rn"),
                home_unit=world.icu,
                hire_date=dt.date(2023, 1, 15),
                hourly_rate=40,
            )
            for i in range(100)
        ]
    )
    return world


def cred_rows(n: int) -> list[str]:
    return [f"IMP{i:04d},bls,BLS-{i},,2025-01-0{1 + i % 9},2027-01-0{1 + i % 9},," for i in range(n)]


def test_a_good_credential_file_imports_with_an_audit_event(hundred_staff):
    result = services.import_credentials_csv(
        content=csv_text(CRED_HEADER, cred_rows(100)), filename="bls.csv"
    )
    assert (result.created, result.updated) == (100, 0)
    cred = StaffCredential.objects.get(staff__employee_number="IMP0012")
    assert (cred.number, cred.expires_on, cred.issuer) == (
        "BLS-12",
        dt.date(2027, 1, 4),
        "American Heart Association",
    )
    assert cred.verification_result == ""  # nothing verified unless the file says so
    assert AuditEvent.objects.filter(action="credentials.imported", summary__contains="bls.csv").exists()


def test_one_bad_credential_row_among_a_hundred_refuses_the_whole_file(hundred_staff):
    rows = cred_rows(100)
    rows[41] = rows[41].replace(",bls,", ",blss,")  # data row 42 = file line 43
    before = _counts()
    with pytest.raises(InvalidInput) as exc:
        services.import_credentials_csv(content=csv_text(CRED_HEADER, rows), filename="bls.csv")
    assert [(p.row, p.field, p.value) for p in problems_of(exc)] == [(43, "credential", "blss")]
    assert _counts() == before


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ("NOBODY,bls,1,,2025-01-01,2027-01-01,,", "employee_number", "no staff member"),
        ("IMP0050,bls,1,,2025-01-01,,,", "expires_on", "an expiry date is required"),
        ("IMP0050,bls,1,,2025-01-01,2024-01-01,,", "expires_on", "before the issue date"),
        ("IMP0050,bls,1,,2025-01-01,31/12/2027,,", "expires_on", "YYYY-MM-DD"),
        ("IMP0050,bls,1,,2025-01-01,2027-01-01,AHA,maybe", "verification_result", "expected one of"),
        ("IMP0050,bls,1,,2025-01-01,2027-01-01,,verified", "verification_source", "required"),
    ],
)
def test_each_bad_credential_value_is_named(hundred_staff, row, field, reason):
    with pytest.raises(InvalidInput) as exc:
        services.import_credentials_csv(content=csv_text(CRED_HEADER, cred_rows(2) + [row]))
    problem = problems_of(exc)[0]
    assert (problem.row, problem.field) == (4, field)
    assert reason in problem.message
    assert not StaffCredential.objects.exists()


def test_reimporting_credentials_updates_them(hundred_staff):
    services.import_credentials_csv(content=csv_text(CRED_HEADER, cred_rows(3)))
    renewed = [r.replace("2027-01-0", "2029-01-0") for r in cred_rows(3)]
    result = services.import_credentials_csv(content=csv_text(CRED_HEADER, renewed))
    assert (result.created, result.updated) == (0, 3)
    assert StaffCredential.objects.get(staff__employee_number="IMP0001").expires_on == dt.date(2029, 1, 2)


def test_a_unit_manager_cannot_import_credentials_for_staff_outside_their_units(world):
    rows = [
        f"{world.icu_nurse.employee_number},bls,1,,2025-01-01,2027-01-01,,",
        f"{world.clinic_nurse.employee_number},bls,2,,2025-01-01,2027-01-01,,",
    ]
    with pytest.raises(InvalidInput) as exc:
        services.import_credentials_csv(
            actor=world.users["unit_manager"], content=csv_text(CRED_HEADER, rows)
        )
    assert [(p.row, p.field) for p in problems_of(exc)] == [(3, "employee_number")]
    assert not StaffCredential.objects.exists()


def test_a_unit_manager_may_not_import_verification_results(world):
    row = f"{world.icu_nurse.employee_number},bls,1,,2025-01-01,2027-01-01,AHA eCard,verified"
    with pytest.raises(InvalidInput) as exc:
        services.import_credentials_csv(
            actor=world.users["unit_manager"], content=csv_text(CRED_HEADER, [row])
        )
    assert problems_of(exc)[0].field == "verification_result"


# --- through the web page and the API --------------------------------------------------------------


def _upload(text: str | bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(text.encode() if isinstance(text, str) else text)
    upload.name = name
    return upload


def test_the_import_page_lists_each_problem_and_saves_nothing(client, world):
    rows = staff_rows(20)
    rows[9] = rows[9].replace(",rn,", ",astronaut,")
    client.force_login(world.users["facility_admin"])
    response = client.post(
        "/staff/import/", {"kind": "staff", "file": _upload(csv_text(STAFF_HEADER, rows), "s.csv")}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Row 11" in page and "job_role" in page and "astronaut" in page and "unknown job role code" in page
    assert not Staff.objects.filter(employee_number__startswith="IMP").exists()


def test_the_import_page_imports_a_good_file(client, world):
    client.force_login(world.users["facility_admin"])
    response = client.post(
        "/staff/import/",
        {"kind": "staff", "file": _upload(csv_text(STAFF_HEADER, staff_rows(4)), "s.csv")},
        follow=True,
    )
    assert response.status_code == 200
    assert "4 added" in response.content.decode()
    assert Staff.objects.filter(employee_number__startswith="IMP").count() == 4


def test_the_import_page_refuses_a_non_utf8_file_with_a_message(client, world):
    client.force_login(world.users["executive"])
    content = csv_text(STAFF_HEADER, staff_rows(2)).replace("Pat1", "Zoë").encode("latin-1")
    response = client.post("/staff/import/", {"kind": "staff", "file": _upload(content, "latin.csv")})
    assert response.status_code == 200
    assert "UTF-8" in response.content.decode()


def test_the_api_answers_422_problem_json_with_row_and_field(client, world):
    rows = staff_rows(10)
    rows[4] = rows[4].replace(",2023-0", ",not-a-date-")
    client.force_login(world.users["executive"])
    response = client.post(
        "/api/workforce/staff/import", {"file": _upload(csv_text(STAFF_HEADER, rows), "s.csv")}
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert [(e["row"], e["field"], e["file"]) for e in body["errors"]] == [(6, "hire_date", "s.csv")]
    assert not Staff.objects.filter(employee_number__startswith="IMP").exists()


def test_the_api_imports_credentials(client, hundred_staff):
    client.force_login(hundred_staff.users["executive"])
    response = client.post(
        "/api/workforce/credentials/import", {"file": _upload(csv_text(CRED_HEADER, cred_rows(10)), "c.csv")}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 10, "updated": 0, "filename": "c.csv"}
