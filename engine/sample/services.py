"""The sample's services, and the category, severity and scanner mix of their findings."""

from __future__ import annotations

from engine.core.models import FindingCategory, Severity
from engine.sample.records import Service

CRIT, HIGH, MED, LOW = (s.value for s in Severity)
SEVERITY_ORDER: tuple[str, ...] = (CRIT, HIGH, MED, LOW)

DEP = FindingCategory.dependency_vulnerability.value
SQL = FindingCategory.sql_injection.value
SECRET = FindingCategory.hardcoded_secret.value
PII = FindingCategory.pii_logging.value
ENC = FindingCategory.missing_encryption.value
AUDIT = FindingCategory.access_logging.value
XSS = FindingCategory.xss.value
PATH = FindingCategory.path_traversal.value
OTHER = FindingCategory.other.value

# Category mix (percent) and, per category, the severity mix (percent: critical, high, medium,
# low). Together they give roughly 10% critical, 25% high, 40% medium and 25% low overall.
CATEGORY_PERCENT: dict[str, int] = {
    DEP: 30,
    SQL: 8,
    SECRET: 7,
    PII: 10,
    ENC: 10,
    AUDIT: 12,
    XSS: 10,
    PATH: 6,
    OTHER: 7,
}
SEVERITY_PERCENT: dict[str, tuple[int, int, int, int]] = {
    DEP: (12, 25, 38, 25),
    SQL: (30, 45, 20, 5),
    SECRET: (25, 45, 25, 5),
    PII: (3, 22, 50, 25),
    ENC: (5, 25, 45, 25),
    AUDIT: (0, 5, 45, 50),
    XSS: (5, 30, 50, 15),
    PATH: (15, 40, 35, 10),
    OTHER: (2, 10, 40, 48),
}

_CODE_SCANNERS: tuple[str, ...] = ("semgrep", "codeql")
SCANNERS: dict[str, tuple[str, ...]] = {
    DEP: ("snyk", "trivy", "dependabot"),
    SECRET: ("gitleaks", "gitleaks", "trivy", "semgrep"),
    SQL: _CODE_SCANNERS,
    PII: _CODE_SCANNERS,
    ENC: ("semgrep", "codeql", "trivy"),
    AUDIT: _CODE_SCANNERS,
    XSS: _CODE_SCANNERS,
    PATH: _CODE_SCANNERS,
    OTHER: _CODE_SCANNERS,
}

SERVICES: tuple[Service, ...] = (
    Service(
        "payment-service",
        "java",
        "payments",
        ("Transaction", "Refund", "Payout", "Merchant", "Chargeback"),
    ),
    Service("user-service", "python", "users", ("User", "Profile", "Address", "Session", "Role")),
    Service(
        "catalog-service",
        "typescript",
        "catalog",
        ("Product", "Category", "Price", "Review", "Listing"),
    ),
    Service(
        "inventory-service",
        "go",
        "inventory",
        ("StockLevel", "Warehouse", "Reservation", "Sku", "Transfer"),
    ),
    Service(
        "notification-service",
        "python",
        "notifications",
        ("Notification", "Template", "Subscription", "DeliveryAttempt", "Device"),
    ),
    Service("auth-gateway", "java", "gateway", ("Token", "Client", "Credential", "Session", "Consent")),
    Service(
        "search-service",
        "typescript",
        "search",
        ("Query", "Index", "Suggestion", "Document", "Synonym"),
    ),
    Service(
        "billing-service",
        "java",
        "billing",
        ("Invoice", "Subscription", "Plan", "Credit", "TaxRate"),
    ),
    Service("order-service", "go", "orders", ("Order", "LineItem", "Cart", "Fulfillment", "Return")),
    Service(
        "shipping-service",
        "typescript",
        "shipping",
        ("Shipment", "Carrier", "Label", "TrackingEvent", "Parcel"),
    ),
    Service(
        "reporting-service",
        "python",
        "reporting",
        ("Report", "Export", "Dashboard", "Metric", "Schedule"),
    ),
    Service(
        "ledger-service",
        "java",
        "ledger",
        ("JournalEntry", "Account", "Balance", "Settlement", "Adjustment"),
    ),
    Service("fraud-service", "python", "fraud", ("Score", "Rule", "Alert", "Case", "Signal")),
    Service("media-service", "go", "media", ("Asset", "Thumbnail", "Upload", "Variant", "Album")),
)

# Source root of a Java service; {pkg} is its Service.package.
JAVA_SRC = "src/main/java/com/acme/{pkg}/"
