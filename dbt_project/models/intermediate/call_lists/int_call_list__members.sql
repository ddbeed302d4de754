{#-
    Every segment candidate (seg_*) on every list date, with the suppression rule that removed it
    (none: eligible). Suppression rules, in order; the first that fires is the reason:
      1 no_valid_phone     no valid phone on the customer (cart abandoners: or the checkout)
      2 do_not_call        accepts_phone_contact = false
      3 recent_contact     the customer or the phone was reached by a connected outbound call
                           for another trigger within var('recent_contact_days') days before
                           the list date
      4 converted          cart abandoners: an order by the same customer, email or phone,
                           placed after the checkout
      5 higher_precedence  the customer, or another callee with the same phone, is listed that
                           day under a segment earlier in var('segment_precedence') (or a newer
                           trigger of the same segment): one call per customer and per phone
      6 max_attempts       the trigger already had var('max_attempts') outbound attempts
      7 already_reached    a connected outbound attempt for this trigger already took place
    Everything is evaluated on what was known at the list date's cutoff. Rules 1-4, 6 and 7 are
    each candidate's own (int_call_list__checks); rule 5 is decided here, over those narrow rows,
    and the candidate's columns are joined back last.
    A one-time buyer is listed at most once: on the first day of its range it passes rules 1-7
    against the trigger segments; its later days are dropped. When two one-time buyers on one
    phone would both be offered that day, the newer order's buyer is listed and the other is
    suppressed (higher_precedence), and not offered again.
-#}
{#- what a winner's call reaches: one call per callee (customer, else phone) and per phone -#}
{%- set contact_keys = ['callee_key', 'phone_e164'] %}
with

-- Precedence runs in two passes so that a one-time buyer, which may be offered on one day only,
-- never blocks anyone on a day it is not offered. First the trigger segments among themselves,
-- one winner per callee and day, then one per phone and day among those (two customers, or a
-- guest checkout and a customer, may share a phone):
callee_ranked as (

    select
        list_date,
        segment,
        trigger_id,
        callee_key,
        phone_e164,
        precedence,
        trigger_at,
        row_number() over (
            partition by list_date, callee_key
            order by precedence, trigger_at desc, trigger_id
        ) as callee_rank
    from {{ ref('int_call_list__checks') }} as checks
    where own_rule is null and segment <> 'one_time_buyer'

),

phone_ranked as (

    select
        *,
        row_number() over (
            partition by list_date, phone_e164
            order by precedence, trigger_at desc, trigger_id
        ) as phone_rank
    from callee_ranked
    where callee_rank = 1

),

trigger_winners as (

    select list_date, segment, trigger_id, callee_key, phone_e164, precedence
    from phone_ranked
    where phone_rank = 1

),

-- each day's trigger winners by the callees and phones they reach, the best precedence first
trigger_contacts as (

    select list_date, contact, min(precedence) as precedence
    from (
        {%- for key in contact_keys %}
        select list_date, {{ key }} as contact, precedence from trigger_winners
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as contacts
    group by list_date, contact

),

-- then one-time buyers: offered on the first day they pass every rule, precedence included
one_time_passing as (

    select
        checks.list_date,
        checks.trigger_id,
        checks.callee_key,
        checks.phone_e164,
        checks.precedence,
        checks.trigger_at
    from {{ ref('int_call_list__checks') }} as checks
    {%- for key in contact_keys %}
    left join trigger_contacts as reached_{{ key }}
        on checks.list_date = reached_{{ key }}.list_date
        and checks.{{ key }} = reached_{{ key }}.contact
        and reached_{{ key }}.precedence < checks.precedence
    {%- endfor %}
    where checks.segment = 'one_time_buyer'
        and checks.own_rule is null
        {%- for key in contact_keys %}
        and reached_{{ key }}.contact is null
        {%- endfor %}

),

one_time_offers as (

    select
        trigger_id,
        min(list_date) as offer_date
    from one_time_passing
    group by trigger_id

),

-- One-time buyers offered the same day on one phone: the newest order's buyer is called. The
-- others lose that day (higher_precedence) and, being offered once, are not offered again.
offered_one_time as (

    select
        one_time_passing.*,
        row_number() over (
            partition by one_time_passing.list_date, one_time_passing.phone_e164
            order by one_time_passing.trigger_at desc, one_time_passing.trigger_id
        ) as phone_rank
    from one_time_passing
    inner join one_time_offers
        on one_time_passing.trigger_id = one_time_offers.trigger_id
        and one_time_passing.list_date = one_time_offers.offer_date

),

-- every winner of the day, trigger or one-time, by the callees and phones it reaches
winner_contacts as (

    select list_date, contact, min(precedence) as precedence
    from (
        select list_date, contact, precedence from trigger_contacts
        {%- for key in contact_keys %}
        union all
        select list_date, {{ key }}, precedence from offered_one_time where phone_rank = 1
        {%- endfor %}
    ) as contacts
    group by list_date, contact

),

ruled as (

    select
        checks.list_date,
        checks.segment,
        checks.trigger_id,
        checks.callee_key,
        checks.attempts_before,
        case
            when checks.own_rule <= 4 then checks.own_rule
            when {% for key in contact_keys -%}
                blocked_{{ key }}.contact is not null{% if not loop.last %} or {% endif %}
                {%- endfor %} then 5
            -- a trigger that lost to another of its segment for the same callee or phone
            when checks.own_rule is null
                and checks.segment <> 'one_time_buyer'
                and own_win.trigger_id is null then 5
            when offered.phone_rank > 1 then 5
            else checks.own_rule
        end as suppression_rule
    from {{ ref('int_call_list__checks') }} as checks
    left join trigger_winners as own_win
        on checks.list_date = own_win.list_date
        and checks.segment = own_win.segment
        and checks.trigger_id = own_win.trigger_id
    {%- for key in contact_keys %}
    left join winner_contacts as blocked_{{ key }}
        on checks.list_date = blocked_{{ key }}.list_date
        and checks.{{ key }} = blocked_{{ key }}.contact
        and blocked_{{ key }}.precedence < checks.precedence
    {%- endfor %}
    left join offered_one_time as offered
        on checks.segment = 'one_time_buyer'
        and checks.list_date = offered.list_date
        and checks.trigger_id = offered.trigger_id
    left join one_time_offers
        on checks.segment = 'one_time_buyer'
        and checks.trigger_id = one_time_offers.trigger_id
    -- a one-time buyer's days after the one it was offered on are done, not suppressed
    where not (
        checks.segment = 'one_time_buyer'
        and one_time_offers.offer_date is not null
        and checks.list_date > one_time_offers.offer_date
    )

)

select
    ruled.list_date,
    ruled.segment,
    ruled.trigger_id,
    candidates.customer_id,
    ruled.callee_key,
    candidates.trigger_at,
    candidates.call_window_start,
    candidates.call_window_end,
    candidates.cutoff_at,
    candidates.calling_starts_at,
    candidates.value_amount,
    candidates.currency,
    candidates.reason,
    candidates.first_name,
    candidates.phone_e164,
    ruled.attempts_before,
    ruled.suppression_rule,
    case ruled.suppression_rule
        when 1 then 'no_valid_phone'
        when 2 then 'do_not_call'
        when 3 then 'recent_contact'
        when 4 then 'converted'
        when 5 then 'higher_precedence'
        when 6 then 'max_attempts'
        when 7 then 'already_reached'
    end as suppression_reason
from ruled
inner join {{ ref('int_call_list__candidates') }} as candidates
    on ruled.list_date = candidates.list_date
    and ruled.segment = candidates.segment
    and ruled.trigger_id = candidates.trigger_id
