{#-
    Each candidate's own suppression rule: the first of the rules that look only at the candidate
    (see int_call_list__members for the order), from the candidate's attempts so far
    (int_call_list__attempts), recent contacts (int_call_list__recent_contacts) and, for cart
    abandoners, later orders. Rule 5, precedence among candidates, is int_call_list__members'.
    Keys and rule columns only, so that the precedence passes work on narrow rows. Each step
    reads the candidates from their table rather than from a shared CTE, which DuckDB would keep
    in memory for all of its uses.
-#}
with

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
left join {{ ref('int_call_list__attempts') }} as attempts
    on candidates.list_date = attempts.list_date
    and candidates.segment = attempts.segment
    and candidates.trigger_id = attempts.trigger_id
left join {{ ref('int_call_list__recent_contacts') }} as recent_contacts
    on candidates.list_date = recent_contacts.list_date
    and candidates.segment = recent_contacts.segment
    and candidates.trigger_id = recent_contacts.trigger_id
left join conversions
    on candidates.segment = 'cart_abandoner'
    and candidates.list_date = conversions.list_date
    and candidates.trigger_id = conversions.trigger_id
