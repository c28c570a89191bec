"""CWE id -> finding category: the table `engine.scanners.categories` looks a result's CWEs up in.

It covers the CWE Top 25 of 2023 and 2024 (below) and every CWE the real scanner files in
`../shared/scanner_samples/` carry (tests/test_scanners_cwe.py enumerates them and fails on a
new one the table does not know). A CWE is placed by what fixing it takes, since the category
picks the playbook: CWE-338 (a weak random generator) is fixed like other weak cryptography,
CWE-295 (certificate checks switched off) like other unprotected transport.

Abstract "category" CWEs (CWE-254 "7PK - Security Features" and CWE-264 "Permissions,
Privileges and Access Controls", CWE-310 "Cryptographic Issues", CWE-399 "Resource Management Errors") map to
the category their members mostly fall in.
"""

from __future__ import annotations

from engine.core.models import FindingCategory

_C = FindingCategory

# https://cwe.mitre.org/top25/archive/2023/2023_top25_list.html
CWE_TOP_25_2023: tuple[str, ...] = tuple(
    f"CWE-{n}"
    for n in (787, 79, 89, 416, 78, 20, 125, 22, 352, 434, 862, 476, 287, 190, 502, 77, 119, 798, 918, 306,
              362, 269, 94, 863, 276)
)  # fmt: skip
# https://cwe.mitre.org/top25/archive/2024/2024_cwe_top25.html
CWE_TOP_25_2024: tuple[str, ...] = tuple(
    f"CWE-{n}"
    for n in (79, 787, 89, 352, 22, 125, 78, 416, 862, 434, 94, 20, 77, 287, 269, 502, 200, 863, 918, 119,
              476, 798, 190, 400, 306)
)  # fmt: skip

# fmt: off
_BY_CATEGORY: dict[FindingCategory, tuple[int, ...]] = {
    _C.sql_injection: (89, 564, 943),
    _C.xss: (79, 80, 83, 87, 116),  # 116: output not encoded for where it is shown
    _C.path_traversal: (22, 23, 29, 35, 36, 59, 73),  # 59: a link followed out of the folder
    _C.hardcoded_secret: (798, 259, 321, 522, 547),
    _C.pii_logging: (532, 359, 215),
    _C.missing_encryption: (311, 312, 315, 319, 614, 295, 297, 599, 523),
    _C.access_logging: (778, 117, 223),
    _C.command_injection: (77, 78, 88),
    _C.code_injection: (94, 95, 96, 470, 917, 1336),
    _C.injection: (74, 90, 91, 93, 113, 643, 652),  # LDAP, XML, CRLF/headers, XPath, XQuery
    _C.ssrf: (918, 441),
    _C.xxe: (611, 776, 827),
    _C.insecure_deserialization: (502,),
    _C.weak_cryptography: (
        310, 326, 327, 328, 329, 330, 331, 335, 336, 337, 338, 347, 208, 759, 760, 780, 916, 1204, 1240,
    ),
    _C.open_redirect: (601,),
    _C.csrf: (352, 346, 942, 1385),  # origin checks: cross-origin requests trusted
    _C.input_validation: (20, 183, 184, 185, 444, 625, 777, 915, 1284, 1286, 1287, 1321),
    _C.broken_authentication: (287, 288, 290, 294, 303, 304, 306, 307, 384, 521, 592, 613, 620, 640, 1390),
    _C.missing_authorization: (862, 863, 284, 285, 639, 269, 250, 254, 264, 266, 273, 276, 281, 732, 1259),
    _C.memory_safety: (
        119, 120, 121, 122, 124, 125, 126, 127, 130, 131, 134, 170, 415, 416, 562, 590, 676, 762, 787,
        788, 805, 806, 822, 823, 824, 825,
    ),
    _C.race_condition: (362, 364, 366, 367, 377, 379, 667, 820, 821, 833),
    _C.resource_exhaustion: (400, 399, 401, 404, 405, 407, 409, 674, 770, 772, 789, 834, 835, 1050, 1333),
    _C.null_dereference: (476, 690),
    _C.integer_overflow: (190, 191, 128, 680, 681, 197, 369),
    _C.file_upload: (434,),
    _C.csv_injection: (1236,),
    _C.information_exposure: (200, 201, 203, 204, 209, 497, 524, 526, 538, 539, 548, 598, 615),
    _C.missing_integrity_check: (345, 353, 354, 494, 829, 830),
    _C.dependency_vulnerability: (1395, 1104, 937, 1035),  # components with known vulnerabilities
    _C.error_handling: (248, 252, 253, 390, 391, 392, 393, 395, 396, 397, 460, 544, 617, 703, 754, 755),
    _C.code_quality: (
        398, 480, 481, 482, 483, 484, 561, 563, 570, 571, 581, 595, 597, 628, 683, 685, 686, 687, 688,
        758, 1041, 1164,
    ),
}
# fmt: on

CWE_CATEGORIES: dict[str, FindingCategory] = {
    f"CWE-{number}": category for category, numbers in _BY_CATEGORY.items() for number in numbers
}

# Class-level CWEs that results often carry beside a specific one ("CWE-20, CWE-80"): the
# specific one says better what the fix is, so it is preferred when both are known.
BROAD_CWES: frozenset[str] = frozenset(
    f"CWE-{n}" for n in (20, 74, 116, 200, 254, 264, 284, 285, 310, 345, 399, 664, 693, 703, 707, 710)
)
