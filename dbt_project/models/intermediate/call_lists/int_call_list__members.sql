{#-
    Every segment candidate (seg_*) on every list date, with the suppression rule that removed it
    or, when none did, its arm (holdout rule), priority and status (capacity). Suppression rules,
    in order; the first that fires is the reason:
      1 no_valid_phone     no valid phone on the customer (cart abandoners: or the checkout)
      2 do_not_call        accepts_phone_contact = false
      3 recent_contact     reached by a connected outbound call for another trigger within
                           var('recent_contact_days') days before the list date
      4 converted          cart abandoners: an order by the same customer, email or phone,
                           placed after the checkout
      5 higher_precedence  the customer is listed that day under a segment earlier in
                           var('segment_precedence') (or a newer trigger of the same segment)
      6 max_attempts       the trigger already had var('max_attempts') outbound attempts
      7 already_reached    a connected outbound attempt for this trigger already took place
    Everything is evaluated on what was known at the list date's cutoff. A call counts for a
    trigger when it is outbound, to the same customer, tagged with the segment (campaign), and
    started between the trigger and the end of its call window.
    A one-time buyer is listed at most once: on the first day of its range it is not
    suppressed; its later days are dropped.
-#}
with

dates as (

    select * from {{ ref('int_call_list__dates') }}

),

candidates as (

    {%- for model in ['seg_cart_abandoners', 'seg_service_followups', 'seg_returners',
                      'seg_first_purchasers', 'seg_one_time_buyers'] %}
    select
        list_date,
        segment,
        trigger_id,
        customer_id,
        trigger_at,
        call_window_start,
        call_window_end,
        value_amount,
        currency,
        reason,
        {%- if model == 'seg_cart_abandoners' %}
        checkout_email,
        checkout_phone,
        checkout_created_at
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as checkout_email,
        cast(null as {{ dbt.type_string() }}) as checkout_phone,
        cast(null as {{ dbt.type_timestamp() }}) as checkout_created_at
        {%- endif %}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

customer_versions as (

    select * from {{ ref('int_customers__versions') }}

),

order_versions as (

    select * from {{ ref('int_orders__versions') }}

),

outbound_calls as (

    select call_id, customer_id, campaign, started_at, is_connected
    from {{ ref('stg_telephony__calls') }}
    where direction = 'outbound' and customer_id is not null

),

members as (

    select
        candidates.*,
        dates.cutoff_at,
        dates.calling_starts_at,
        {{ listenloop.segment_precedence_rank('candidates.segment') }} as precedence,
        customers.first_name,
        customers.email as customer_email,
        customers.accepts_phone_contact,
        coalesce(customers.phone, candidates.checkout_phone) as phone_e164
    from candidates
    inner join dates on candidates.list_date = dates.list_date
    left join customer_versions as customers
        on candidates.customer_id = customers.customer_id
        and {{ listenloop.valid_at('customers', 'dates.cutoff_at') }}

),

attempts as (

    select
        members.list_date,
        members.segment,
        members.trigger_id,
        count(*) as attempts_before,
        sum(case when outbound_calls.is_connected then 1 else 0 end) as connects_before
    from members
    inner join outbound_calls
        on members.customer_id = outbound_calls.customer_id
        and members.segment = outbound_calls.campaign
        and outbound_calls.started_at >= members.trigger_at
        and outbound_calls.started_at < members.call_window_end
        and outbound_calls.started_at < members.cutoff_at
    group by members.list_date, members.segment, members.trigger_id

),

recent_contacts as (

    select distinct members.list_date, members.segment, members.trigger_id
    from members
    inner join outbound_calls
        on members.customer_id = outbound_calls.customer_id
        and outbound_calls.is_connected
        and outbound_calls.started_at < members.cutoff_at
        and outbound_calls.started_at
            >= {{ dbt.dateadd('day', -1 * var('recent_contact_days'), 'members.cutoff_at') }}
    where coalesce(outbound_calls.campaign, '') <> members.segment
        or outbound_calls.started_at < members.trigger_at
        or outbound_calls.started_at >= members.call_window_end

),

-- who an abandoner's later order may come from: the same customer, or a customer with the
-- checkout's email or phone (as known at the cutoff)
cart_contacts as (

    select list_date, trigger_id, cutoff_at, checkout_created_at, customer_id
    from members
    where segment = 'cart_abandoner' and customer_id is not null

    union

    select members.list_date, members.trigger_id, members.cutoff_at,
        members.checkout_created_at, customers.customer_id
    from members
    inner join customer_versions as customers
        on members.checkout_email = customers.email
        and {{ listenloop.valid_at('customers', 'members.cutoff_at') }}
    where members.segment = 'cart_abandoner'

    union

    select members.list_date, members.trigger_id, members.cutoff_at,
        members.checkout_created_at, customers.customer_id
    from members
    inner join customer_versions as customers
        on members.phone_e164 = customers.phone
        and {{ listenloop.valid_at('customers', 'members.cutoff_at') }}
    where members.segment = 'cart_abandoner'

),

conversions as (

    select distinct cart_contacts.list_date, cart_contacts.trigger_id
    from cart_contacts
    inner join order_versions as orders
        on cart_contacts.customer_id = orders.customer_id
        and {{ listenloop.valid_at('orders', 'cart_contacts.cutoff_at') }}
    where not orders.is_voided
        and orders.created_at > cart_contacts.checkout_created_at

),

checked as (

    select
        members.*,
        coalesce(attempts.attempts_before, 0) as attempts_before,
        case
            when members.phone_e164 is null then 1
            when members.accepts_phone_contact = false then 2
            when recent_contacts.trigger_id is not null then 3
            when conversions.trigger_id is not null then 4
            when coalesce(attempts.attempts_before, 0) >= {{ var('max_attempts') }} then 6
            when coalesce(attempts.connects_before, 0) > 0 then 7
        end as own_rule,
        coalesce(members.customer_id, members.phone_e164) as callee_key
    from members
    left join attempts
        on members.list_date = attempts.list_date
        and members.segment = attempts.segment
        and members.trigger_id = attempts.trigger_id
    left join recent_contacts
        on members.list_date = recent_contacts.list_date
        and members.segment = recent_contacts.segment
        and members.trigger_id = recent_contacts.trigger_id
    left join conversions
        on members.segment = 'cart_abandoner'
        and members.list_date = conversions.list_date
        and members.trigger_id = conversions.trigger_id

),

-- Precedence runs in two passes so that a one-time buyer, which may be offered on one day only,
-- never blocks anyone on a day it is not offered. First the trigger segments among themselves:
trigger_ranked as (

    select
        list_date,
        segment,
        trigger_id,
        callee_key,
        precedence,
        row_number() over (
            partition by list_date, callee_key
            order by precedence, trigger_at desc, trigger_id
        ) as callee_rank
    from checked
    where own_rule is null and segment <> 'one_time_buyer'

),

trigger_winners as (

    select * from trigger_ranked where callee_rank = 1

),

-- then one-time buyers: offered on the first day they pass every rule, precedence included
one_time_passing as (

    select checked.list_date, checked.trigger_id, checked.callee_key, checked.precedence
    from checked
    left join trigger_winners
        on checked.list_date = trigger_winners.list_date
        and checked.callee_key = trigger_winners.callee_key
        and trigger_winners.precedence < checked.precedence
    where checked.segment = 'one_time_buyer'
        and checked.own_rule is null
        and trigger_winners.trigger_id is null

),

one_time_offers as (

    select
        trigger_id,
        min(list_date) as offer_date
    from one_time_passing
    group by trigger_id

),

offered_one_time as (

    select one_time_passing.*
    from one_time_passing
    inner join one_time_offers
        on one_time_passing.trigger_id = one_time_offers.trigger_id
        and one_time_passing.list_date = one_time_offers.offer_date

),

ruled as (

    select
        checked.*,
        case
            when checked.own_rule <= 4 then checked.own_rule
            when trigger_winners.trigger_id is not null
                or offered_one_time.trigger_id is not null then 5
            when checked.own_rule is null and trigger_ranked.callee_rank > 1 then 5
            else checked.own_rule
        end as suppression_rule
    from checked
    left join trigger_ranked
        on checked.list_date = trigger_ranked.list_date
        and checked.segment = trigger_ranked.segment
        and checked.trigger_id = trigger_ranked.trigger_id
    left join trigger_winners
        on checked.list_date = trigger_winners.list_date
        and checked.callee_key = trigger_winners.callee_key
        and trigger_winners.precedence < checked.precedence
    left join offered_one_time
        on checked.list_date = offered_one_time.list_date
        and checked.callee_key = offered_one_time.callee_key
        and offered_one_time.precedence < checked.precedence
    left join one_time_offers
        on checked.segment = 'one_time_buyer'
        and checked.trigger_id = one_time_offers.trigger_id
    -- a one-time buyer's days after the one it was offered on are done, not suppressed
    where not (
        checked.segment = 'one_time_buyer'
        and one_time_offers.offer_date is not null
        and checked.list_date > one_time_offers.offer_date
    )

)

select
    list_date,
    segment,
    trigger_id,
    customer_id,
    callee_key,
    trigger_at,
    call_window_start,
    call_window_end,
    cutoff_at,
    calling_starts_at,
    value_amount,
    currency,
    reason,
    first_name,
    phone_e164,
    attempts_before,
    suppression_rule,
    case suppression_rule
        when 1 then 'no_valid_phone'
        when 2 then 'do_not_call'
        when 3 then 'recent_contact'
        when 4 then 'converted'
        when 5 then 'higher_precedence'
        when 6 then 'max_attempts'
        when 7 then 'already_reached'
    end as suppression_reason
from ruled
