"""Reference data every Carehelm database starts with: job roles (with the health-services
management career ladder), skills, credential types and which credentials a role or unit requires.

Salary bands for the management ladder follow the US Bureau of Labor Statistics picture for
medical and health services managers (entry about $56k, median about $72k in the role-level
bands used here, executive about $95k+); clinical bands are typical US ranges. They are editable
in the admin; they are a starting point, not advice.
"""

from __future__ import annotations

# code, name, category, education, experience, salary (min, median, max), ladder rank, next role code
JOB_ROLES = [
    ("cna", "Certified Nursing Assistant", "clinical", "State-approved CNA programme and competency exam", "", (30000, 38000, 46000), None, None),
    ("lpn", "Licensed Practical Nurse", "clinical", "Practical nursing diploma; NCLEX-PN", "", (48000, 59000, 70000), None, None),
    ("rn", "Registered Nurse", "clinical", "ADN or BSN; NCLEX-RN", "", (68000, 86000, 120000), None, None),
    ("charge-rn", "Charge Nurse", "clinical", "BSN preferred; unit experience", "2+ years as RN", (78000, 95000, 125000), None, None),
    ("np", "Nurse Practitioner", "clinical", "MSN or DNP; national NP board certification", "", (105000, 126000, 155000), None, None),
    ("physician", "Physician", "clinical", "MD or DO; residency; board certification", "", (220000, 290000, 450000), None, None),
    ("unit-clerk", "Unit Clerk", "support", "High-school diploma; medical terminology", "", (32000, 39000, 46000), None, None),
    ("maa", "Medical Administrative Assistant", "management", "Certificate or associate degree in medical office administration", "", (34000, 41000, 50000), 1, "dept-coordinator"),
    ("dept-coordinator", "Department Coordinator", "management", "Associate or bachelor's degree in health administration", "2+ years in a medical office", (45000, 56000, 66000), 2, "practice-manager"),
    ("practice-manager", "Practice / Clinic Manager", "management", "Bachelor's in health administration or business; CMM or CMPE valued", "3–5 years supervisory", (56000, 72000, 95000), 3, "hospital-administrator"),
    ("hospital-administrator", "Hospital Administrator / CEO", "management", "Master's (MHA, MBA or MPH); FACHE valued", "8+ years in management", (95000, 135000, 250000), 4, "cmo"),
    ("cmo", "Chief Medical Officer", "management", "MD or DO with an MBA/MHA; board certification", "10+ years clinical leadership", (250000, 350000, 500000), 5, None),
]

SKILLS = [
    ("critical-care", "Critical care"), ("emergency", "Emergency nursing"), ("telemetry", "Telemetry"),
    ("paediatrics", "Paediatrics"), ("obstetrics", "Obstetrics / labour and delivery"), ("neonatal", "Neonatal care"),
    ("perioperative", "Perioperative / scrub"), ("anaesthesia-recovery", "Post-anaesthesia recovery"),
    ("wound-care", "Wound care"), ("iv-therapy", "IV therapy"), ("dementia-care", "Dementia care"),
    ("charge", "Charge / shift lead"), ("preceptor", "Preceptor"), ("triage", "Triage"), ("phlebotomy", "Phlebotomy"),
    ("billing", "Medical billing and coding"), ("scheduling", "Patient scheduling"),
]

# code, name, kind, issuing body, renewal months (None = no expiry), description
CREDENTIAL_TYPES = [
    ("rn-licence", "Registered Nurse licence", "licence", "State Board of Nursing", 24, "Licence to practise as an RN"),
    ("lpn-licence", "Licensed Practical Nurse licence", "licence", "State Board of Nursing", 24, "Licence to practise as an LPN"),
    ("cna-certification", "Certified Nursing Assistant registry", "registration", "State Nurse Aide Registry", 24, ""),
    ("np-licence", "Advanced Practice RN licence", "licence", "State Board of Nursing", 24, ""),
    ("physician-licence", "Physician medical licence", "licence", "State Medical Board", 24, ""),
    ("dea", "DEA registration", "registration", "U.S. Drug Enforcement Administration", 36, "Controlled-substance prescribing"),
    ("bls", "Basic Life Support (BLS)", "life_support", "American Heart Association", 24, ""),
    ("acls", "Advanced Cardiovascular Life Support (ACLS)", "life_support", "American Heart Association", 24, ""),
    ("pals", "Pediatric Advanced Life Support (PALS)", "life_support", "American Heart Association", 24, ""),
    ("nrp", "Neonatal Resuscitation Program (NRP)", "life_support", "American Academy of Pediatrics", 24, ""),
    ("fache", "Fellow of the American College of Healthcare Executives (FACHE)", "management", "American College of Healthcare Executives (ACHE)", 36, ""),
    ("cmm", "Certified Medical Manager (CMM)", "management", "Professional Association of Health Care Office Management (PAHCOM)", 24, ""),
    ("cphq", "Certified Professional in Healthcare Quality (CPHQ)", "management", "National Association for Healthcare Quality (NAHQ)", 24, ""),
    ("cphims", "Certified Professional in Healthcare Information and Management Systems (CPHIMS)", "management", "HIMSS", 36, ""),
    ("cpps", "Certified Professional in Patient Safety (CPPS)", "management", "Certification Board for Professionals in Patient Safety (CBPPS)", 36, ""),
    ("cmpe", "Certified Medical Practice Executive (CMPE)", "management", "American College of Medical Practice Executives (ACMPE)", 36, ""),
    ("chc", "Certified in Healthcare Compliance (CHC)", "management", "Compliance Certification Board (HCCA)", 24, ""),
]

# credential code, job role code or None, unit kind or "", for_next_role_only
REQUIREMENTS = [
    ("rn-licence", "rn", "", False), ("rn-licence", "charge-rn", "", False), ("lpn-licence", "lpn", "", False),
    ("cna-certification", "cna", "", False), ("np-licence", "np", "", False), ("rn-licence", "np", "", False),
    ("physician-licence", "physician", "", False), ("dea", "physician", "", False), ("dea", "np", "", False),
    # BLS for every clinician who touches patients.
    ("bls", "rn", "", False), ("bls", "charge-rn", "", False), ("bls", "lpn", "", False), ("bls", "cna", "", False),
    ("bls", "np", "", False), ("bls", "physician", "", False),
    # ACLS for nurses and doctors in ICU and ED; PALS in paediatrics and ED; NRP in maternity.
    ("acls", "rn", "icu", False), ("acls", "charge-rn", "icu", False), ("acls", "rn", "emergency", False),
    ("acls", "charge-rn", "emergency", False), ("acls", "physician", "icu", False), ("acls", "physician", "emergency", False),
    ("pals", "rn", "emergency", False), ("nrp", "rn", "maternity", False), ("nrp", "charge-rn", "maternity", False),
    # What the management ladder expects of the next role (the development gap).
    ("cmm", "practice-manager", "", True), ("cmpe", "practice-manager", "", True),
    ("fache", "hospital-administrator", "", True), ("cphq", "hospital-administrator", "", True),
    ("fache", "cmo", "", True), ("physician-licence", "cmo", "", True), ("cpps", "cmo", "", True),
    ("cmm", "dept-coordinator", "", True),
]


def seed(apps=None) -> None:
    """Create or update the catalogue. Idempotent; used by a data migration."""
    if apps is None:
        from django.apps import apps as django_apps

        apps = django_apps
    JobRole = apps.get_model("workforce", "JobRole")
    Skill = apps.get_model("workforce", "Skill")
    CredentialType = apps.get_model("workforce", "CredentialType")
    CredentialRequirement = apps.get_model("workforce", "CredentialRequirement")
    roles = {}
    for code, name, category, education, experience, (lo, mid, hi), rank, _next in JOB_ROLES:
        roles[code], _ = JobRole.objects.update_or_create(code=code, defaults=dict(
            name=name, category=category, education=education, experience=experience, salary_min=lo,
            salary_median=mid, salary_max=hi, ladder_rank=rank))
    for code, *_rest, next_code in JOB_ROLES:
        if next_code:
            roles[code].next_role = roles[next_code]
            roles[code].save()
    for code, name in SKILLS:
        Skill.objects.update_or_create(code=code, defaults={"name": name})
    types = {}
    for code, name, kind, body, months, description in CREDENTIAL_TYPES:
        types[code], _ = CredentialType.objects.update_or_create(code=code, defaults=dict(
            name=name, kind=kind, issuing_body=body, renewal_months=months, description=description))
    for ctype, role, unit_kind, next_only in REQUIREMENTS:
        CredentialRequirement.objects.get_or_create(credential_type=types[ctype], job_role=roles.get(role) if role else None,
                                                    unit_kind=unit_kind, unit=None, for_next_role_only=next_only)
