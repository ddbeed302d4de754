{#-
    One-time buyers before suppression (a recall segment): one row per (order, list date D) where,
    as known at D's cutoff, the customer has exactly one non-voided order and its date in the
    program timezone lies between D - 90 and D - 30 days, both ends included.
    The call window is that whole range of days ([order day + 30, order day + 91) local, as UTC);
    the member is listed at most once, on the first day it is not suppressed
    (int_call_list__members).
-#}
with

dates as (

    select * from {{ ref('int_call_list__dates') }}

),

versions as (

    select
        *,
        {{ listenloop.to_program_date('created_at') }} as order_date
    from {{ ref('int_orders__versions') }}

),

candidate_days as (

    select
        dates.list_date,
        dates.cutoff_at,
        versions.*
    from versions
    inner join dates
        on dates.list_date >= {{ dbt.dateadd('day', 30, 'versions.order_date') }}
        and dates.list_date <= {{ dbt.dateadd('day', 90, 'versions.order_date') }}
    where {{ listenloop.valid_at('versions', 'dates.cutoff_at') }}
        and not versions.is_voided
        and versions.customer_id is not null

),

-- Non-voided orders each customer had at each cutoff, counted once per (customer, day) rather
-- than once per candidate order: a customer with k orders costs k rows per day here, not k * k.
orders_known as (

    select
        customer_days.customer_id,
        customer_days.list_date,
        count(distinct known.order_id) as non_voided_orders
    from (select distinct customer_id, list_date, cutoff_at from candidate_days) as customer_days
    inner join versions as known
        on customer_days.customer_id = known.customer_id
        and {{ listenloop.valid_at('known', 'customer_days.cutoff_at') }}
    where not known.is_voided
    group by customer_days.customer_id, customer_days.list_date

)

select
    candidate_days.list_date,
    'one_time_buyer' as segment,
    candidate_days.order_id as trigger_id,
    candidate_days.customer_id,
    candidate_days.created_at as trigger_at,
    {{ listenloop.local_time_on(dbt.dateadd('day', 30, 'candidate_days.order_date'), '00:00') }}
        as call_window_start,
    {{ listenloop.local_time_on(dbt.dateadd('day', 91, 'candidate_days.order_date'), '00:00') }}
        as call_window_end,
    candidate_days.total as value_amount,
    candidate_days.currency,
    'Bought once, ' || cast(candidate_days.list_date - candidate_days.order_date as {{ dbt.type_string() }})
        || ' days ago: ' || {{ listenloop.money_text('candidate_days.total', 'candidate_days.currency') }}
        || ' on ' || {{ listenloop.day_text('candidate_days.created_at') }} || ', nothing since'
        as reason
from candidate_days
inner join orders_known
    on candidate_days.customer_id = orders_known.customer_id
    and candidate_days.list_date = orders_known.list_date
-- the candidate order is one of them, so exactly one means nothing else, before or since
where orders_known.non_voided_orders = 1
