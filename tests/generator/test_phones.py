"""Every phone layout the generator types reads back as the same valid E.164 number."""

from __future__ import annotations

import numpy as np
import phonenumbers
import pytest

from listenloop.generator.phones import PLANS, draw_nsn, render


@pytest.mark.parametrize("country", list(PLANS))
def test_every_layout_normalises_to_the_same_valid_number(country):
    plan = PLANS[country]
    nsn = draw_nsn(country, 200, np.random.default_rng(0))
    layouts = list(plan.layouts) + [f"messy:{i}" for i in range(len(plan.messy))]
    for key in layouts:
        typed = render(np.full(nsn.size, country), nsn, np.full(nsn.size, key, dtype=object))
        for text, digits in zip(typed, nsn, strict=True):
            number = phonenumbers.parse(text, country)
            assert phonenumbers.is_valid_number(number), (key, text)
            assert phonenumbers.region_code_for_number(number) == country, (key, text)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            assert e164 == f"+{plan.calling_code}{digits}"
