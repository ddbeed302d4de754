"""What customers say: call notes per concern tag, refund reasons, survey comments.

Notes are in the customer's own words because the concern-theme marts quote them; several
templates per tag keep the text from looking machine-made. "{item}" becomes the product noun.
"""

from __future__ import annotations

import numpy as np

CONCERN_NOTES: dict[str, tuple[str, ...]] = {
    "price": (
        "Honestly it was just more than I wanted to spend on the {item}.",
        "I found the {item} cheaper somewhere else.",
        "The {item} is a bit pricey for me right now.",
        "I was waiting to see if the {item} would go on sale.",
    ),
    "shipping_cost": (
        "Shipping was more than the {item}.",
        "The delivery charge only showed up at the very end.",
        "I didn't want to pay that much postage for one {item}.",
        "Free shipping starts too high for what I needed.",
    ),
    "delivery_time": (
        "I needed the {item} by the weekend and it said 7 to 10 days.",
        "Delivery took way longer than the site said.",
        "My {item} still hasn't arrived and nobody told me why.",
        "I couldn't tell when the {item} would actually get here.",
    ),
    "return_policy": (
        "I wasn't sure I could send the {item} back if it didn't work out.",
        "Your return policy made me nervous, I'd have to pay for the return.",
        "I couldn't find how long I have to return the {item}.",
        "Returning my last order was a hassle so I held off.",
    ),
    "sizing_fit": (
        "I wasn't sure the {item} would fit, your size chart is confusing.",
        "The {item} came up a size small.",
        "I'm between sizes and didn't know which {item} to pick.",
        "The {item} fit fine but the length was off.",
    ),
    "product_quality": (
        "The {item} looked cheaper than in the photos.",
        "The stitching on the {item} came loose after a week.",
        "The {item} wore out much faster than I expected.",
        "The colour of the {item} was not what I expected.",
    ),
    "product_questions": (
        "I had a question about the {item} and couldn't find the answer.",
        "I wanted to know if the {item} is waterproof.",
        "I couldn't tell what comes in the box with the {item}.",
        "I wanted to compare the {item} with the other model first.",
    ),
    "payment_trust": (
        "I didn't recognise the payment page and got worried.",
        "I didn't want to put my card in on a site I'd never used.",
        "My card got declined and I wasn't sure why.",
        "I wanted to pay with PayPal and couldn't find it.",
    ),
    "checkout_technical": (
        "The page kept freezing when I hit pay.",
        "My discount code wouldn't work at checkout.",
        "The app logged me out halfway through.",
        "The address form kept rejecting my postcode.",
    ),
    "just_browsing": (
        "I was just looking around, not ready to buy the {item} yet.",
        "I was saving the {item} for later.",
        "I was comparing a few shops before deciding.",
        "I put the {item} in the cart so I'd remember it.",
    ),
    "other": (
        "I bought the {item} as a gift and the plans changed.",
        "I got distracted and forgot about it.",
        "My partner ended up ordering the {item} instead.",
        "I moved house and put everything on hold.",
    ),
}

REFUND_REASONS: tuple[str, ...] = (
    "Too small, need a bigger size",
    "Arrived damaged",
    "Not as pictured",
    "Changed my mind",
    "Arrived too late for the event",
    "Wrong item sent",
    "Quality not what I expected",
    "Ordered two sizes, kept one",
    "Colour looks different in person",
    "Found it cheaper elsewhere",
)

# Survey comments by score band: low, middling, high.
SURVEY_COMMENTS: tuple[tuple[str, ...], ...] = (
    (
        "Took forever to get an answer.",
        "Still waiting on my refund.",
        "Not happy with the quality.",
    ),
    ("Fine, nothing special.", "Delivery could be quicker.", "Okay once I got through."),
    (
        "Really helpful agent, thank you!",
        "Fast delivery and great fit.",
        "Love it, will order again.",
    ),
)


def concern_notes(tags: np.ndarray, nouns: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One sentence per (tag, noun) pair, from a random template of that tag."""
    out = np.empty(tags.size, dtype=object)
    which = rng.integers(0, 4, tags.size)
    for tag, templates in CONCERN_NOTES.items():
        for i, template in enumerate(templates):
            rows = (tags == tag) & (which == i)
            if rows.any():
                head, _, tail = template.partition("{item}")
                out[rows] = head + nouns[rows] + tail if "{item}" in template else template
    return out


def pick(texts: tuple[str, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(texts, dtype=object)[rng.integers(0, len(texts), n)]
