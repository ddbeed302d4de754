{#-
    Each candidate's own suppression rule: the first of the rules that look only at the candidate
    (see int_call_list__members for the order), and its outbound attempts so far. Rule 5,
    precedence among candidates, is int_call_list__members'. Keys and rule columns only, so that
    the precedence passes work on narrow rows. Each step reads the candidates from their table
    rather than from a shared CTE, which DuckDB would keep in memory for all of its uses.
    A call counts for a trigger when it is outbound, to the same customer, tagged with the segment
    (campaign), and started between the trigger and the end of its call window.
-#}
with

outbound_calls as (

    select call_id, customer_id, campaign, started_at, is_connected
    from {{ ref('stg_telephony__calls') }}
    where direction = 'outbound' and customer_id is not null

),

attempts as (

    select
        candidates.list_date,
        candidates.segment,
        candidates.trigger_id,
        count(*) as attempts_before,
        sum(case when outbound_calls.is_connected then 1 else 0 end) as connects_before
    from {{ ref('int_call_list__candidates') }} as candidates
    inner join outbound_calls
        on candidates.customer_id = outbound_calls.customer_id
        and candidates.segment = outbound_calls.campaign
        and outbound_calls.started_at >= candidates.trigger_at
        and outbound_calls.started_at < candidates.call_window_end
        and outbound_calls.started_at < candidates.cutoff_at
    group by candidates.list_date, candidates.segment, candidates.trigger_id

),

-- reached for something else: the same customer, or the same phone (a guest checkout with a
-- customer's phone, customers sharing one), on a connected call that is not one of this
-- trigger's own attempts
recent_contacts as (

    select candidates.list_date, candidates.segment, candidates.trigger_id
    from {{ ref('int_call_list__candidates') }} as candidates
    inner join outbound_calls
        on candidates.customer_id = outbound_calls.customer_id
        and outbound_calls.is_connected
        and outbound_calls.started_at < candidates.cutoff_at
        and outbound_calls.started_at
            >= {{ dbt.dateadd('day', -1 * var('recent_contact_days'), 'candidates.cutoff_at') }}
    where coalesce(outbound_calls.campaign, '') <> candidates.segment
        or outbound_calls.started_at < candidates.trigger_at
        or outbound_calls.started_at >= candidates.call_window_end

    union

    select candidates.list_date, candidates.segment, candidates.trigger_id
    from {{ ref('int_call_list__candidates') }} as candidates
    inner join {{ ref('stg_telephony__calls') }} as phone_calls
        on candidates.phone_e164 = phone_calls.phone
        and phone_calls.direction = 'outbound'
        and phone_calls.is_connected
        and phone_calls.started_at < candidates.cutoff_at
        and phone_calls.started_at
            >= {{ dbt.dateadd('day', -1 * var('recent_contact_days'), 'candidates.cutoff_at') }}
    where phone_calls.customer_id is null
        or candidates.customer_id is null
        or phone_calls.customer_id <> candidates.customer_id

),

-- who an abandoner's later order may come from: the same customer, or a customer with the
-- checkout's email or phone (as known at the cutoff)
cart_contacts as (

    select list_date, trigger_id, cutoff_at, checkout_created_at, customer_id
    from {{ ref('int_call_list__candidates') }} as candidates
    where segment = 'cart_abandoner' and customer_id is not null
    {%- for checkout_column, customer_column in [('checkout_email', 'email'), ('phone_e164', 'phone')] %}

    union

    select candidates.list_date, candidates.trigger_id, candidates.cutoff_at,
        candidates.checkout_created_at, customers.customer_id
    from {{ ref('int_call_list__candidates') }} as candidates
    inner join {{ ref('int_customers__versions') }} as customers
        on candidates.{{ checkout_column }} = customers.{{ customer_column }}
        and {{ listenloop.valid_at('customers', 'candidates.cutoff_at') }}
    where candidates.segment = 'cart_abandoner'
    {%- endfor %}

),

conversions as (

    select distinct cart_contacts.list_date, cart_contacts.trigger_id
    from cart_contacts
    inner join {{ ref('int_orders__versions') }} as orders
        on cart_contacts.customer_id = orders.customer_id
        and {{ listenloop.valid_at('orders', 'cart_contacts.cutoff_at') }}
    where not orders.is_voided
        and orders.created_at > cart_contacts.checkout_created_at

)

select
    candidates.list_date,
    candidates.segment,
    candidates.trigger_id,
    candidates.callee_key,
    candidates.phone_e164,
    candidates.precedence,
    candidates.trigger_at,
    coalesce(attempts.attempts_before, 0) as attempts_before,
    case
        when candidates.phone_e164 is null then 1
        when candidates.accepts_phone_contact = false then 2
        when recent_contacts.trigger_id is not null then 3
        when conversions.trigger_id is not null then 4
        when coalesce(attempts.attempts_before, 0) >= {{ var('max_attempts') }} then 6
        when coalesce(attempts.connects_before, 0) > 0 then 7
    end as own_rule
from {{ ref('int_call_list__candidates') }} as candidates
left join attempts
    on candidates.list_date = attempts.list_date
    and candidates.segment = attempts.segment
    and candidates.trigger_id = attempts.trigger_id
left join recent_contacts
    on candidates.list_date = recent_contacts.list_date
    and candidates.segment = recent_contacts.segment
    and candidates.trigger_id = recent_contacts.trigger_id
left join conversions
    on candidates.segment = 'cart_abandoner'
    and candidates.list_date = conversions.list_date
    and candidates.trigger_id = conversions.trigger_id
