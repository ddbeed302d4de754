"""The store's products and the people who shop there: small fixed lists, chosen by index."""

from __future__ import annotations

import numpy as np

# product_id, sku, title, category, price in USD, the word a customer uses for it
PRODUCTS: tuple[tuple[str, str, str, str, float, str], ...] = (
    ("P1001", "JKT-RAIN-01", "Alpine Rain Jacket", "outerwear", 149.00, "jacket"),
    ("P1002", "JKT-DOWN-02", "Featherlight Down Jacket", "outerwear", 219.00, "jacket"),
    ("P1003", "CT-WOOL-03", "Harbour Wool Coat", "outerwear", 289.00, "coat"),
    ("P1101", "SH-RUN-01", "Tempo Running Shoes", "footwear", 119.00, "shoes"),
    ("P1102", "SH-TRL-02", "Ridge Trail Shoes", "footwear", 139.00, "shoes"),
    ("P1103", "BT-HIK-03", "Summit Hiking Boots", "footwear", 189.00, "boots"),
    ("P1104", "SN-CLS-04", "Classic Canvas Sneakers", "footwear", 69.00, "sneakers"),
    ("P1201", "TS-ORG-01", "Organic Cotton Tee", "tops", 29.00, "t-shirt"),
    ("P1202", "HD-FLC-02", "Everyday Fleece Hoodie", "tops", 79.00, "hoodie"),
    ("P1203", "SW-MER-03", "Merino Crew Sweater", "tops", 99.00, "sweater"),
    ("P1204", "SH-LIN-04", "Linen Button Shirt", "tops", 65.00, "shirt"),
    ("P1301", "JN-SLM-01", "Slim Stretch Jeans", "bottoms", 89.00, "jeans"),
    ("P1302", "PT-CHN-02", "Weekend Chinos", "bottoms", 75.00, "chinos"),
    ("P1303", "LG-YOG-03", "Studio Yoga Leggings", "bottoms", 59.00, "leggings"),
    ("P1401", "BG-DAY-01", "Commuter Daypack", "bags", 95.00, "backpack"),
    ("P1402", "BG-TOT-02", "Market Tote", "bags", 39.00, "tote"),
    ("P1501", "AC-BNE-01", "Ribbed Beanie", "accessories", 25.00, "beanie"),
    ("P1502", "AC-SCF-02", "Cashmere Scarf", "accessories", 85.00, "scarf"),
    ("P1503", "AC-SCK-03", "Trail Socks 3-Pack", "accessories", 19.00, "socks"),
    ("P1504", "AC-BLT-04", "Leather Belt", "accessories", 49.00, "belt"),
    ("P1601", "HM-BTL-01", "Insulated Bottle", "gear", 32.00, "bottle"),
    ("P1602", "HM-TNT-02", "Two-Person Tent", "gear", 249.00, "tent"),
    ("P1603", "HM-SLP-03", "Three-Season Sleeping Bag", "gear", 169.00, "sleeping bag"),
    ("P1604", "HM-LMP-04", "Rechargeable Headlamp", "gear", 45.00, "headlamp"),
)
# Cheap basics sell more often than tents.
PRODUCT_WEIGHTS = np.array([1.0 / np.sqrt(p[4]) for p in PRODUCTS]) / sum(
    1.0 / np.sqrt(p[4]) for p in PRODUCTS
)
PRODUCT_NOUNS = np.array([p[5] for p in PRODUCTS], dtype=object)

# Prices are set per currency, not converted at checkout.
FX = {"USD": 1.0, "CAD": 1.36, "AUD": 1.52, "GBP": 0.79, "EUR": 0.92}
CURRENCY = {
    "US": "USD",
    "CA": "CAD",
    "AU": "AUD",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
}


def price_table_cents(countries: tuple[str, ...]) -> np.ndarray:
    """[country, product] shelf price in cents: USD converted, rounded up to a .99 price point."""
    usd = np.array([p[4] for p in PRODUCTS])
    fx = np.array([FX[CURRENCY[c]] for c in countries])
    return (np.ceil(np.outer(fx, usd)) * 100 - 1).astype(np.int64)


FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("James", "Maria", "Tyler", "Ashley", "Kevin", "Jessica", "Marcus", "Emily", "Luis"),
    "CA": ("Liam", "Olivia", "Noah", "Chloe", "Ethan", "Sophie", "Mathieu", "Avery"),
    "GB": ("Oliver", "Amelia", "Harry", "Isla", "George", "Poppy", "Jack", "Freya"),
    "DE": ("Lukas", "Anna", "Felix", "Lea", "Jonas", "Marie", "Paul", "Hannah"),
    "FR": ("Louis", "Camille", "Hugo", "Manon", "Jules", "Chloe", "Arthur", "Ines"),
    "NL": ("Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Finn", "Sanne"),
    "AU": ("Jack", "Charlotte", "William", "Matilda", "Lachlan", "Ruby", "Cooper", "Mia"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("Smith", "Johnson", "Garcia", "Brown", "Miller", "Davis", "Martinez", "Wilson"),
    "CA": ("Tremblay", "Martin", "Roy", "Wilson", "MacDonald", "Gagnon", "Taylor", "Campbell"),
    "GB": ("Jones", "Williams", "Taylor", "Evans", "Thomas", "Roberts", "Walker", "Wright"),
    "DE": ("Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"),
    "FR": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"),
    "NL": ("de Jong", "Jansen", "de Vries", "van Dijk", "Bakker", "Visser", "Smit", "Meijer"),
    "AU": ("Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Kelly"),
}
EMAIL_DOMAINS = np.array(["example.com", "example.net", "example.org"], dtype=object)
