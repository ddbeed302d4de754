{#-
    Returners before suppression: one row per (refund, list date) whose call window (24-48 h
    after the refund was created) overlaps the list date's calling hours. The customer is the
    refunded order's, as known at the cutoff.
-#}
with

dates as (

    select * from {{ ref('int_call_list__dates') }}

),

refunds as (

    select
        *,
        {{ dbt.dateadd('hour', 24, 'refunded_at') }} as call_window_start,
        {{ dbt.dateadd('hour', 48, 'refunded_at') }} as call_window_end
    from {{ ref('stg_store__refunds') }}

),

candidate_days as (

    select
        dates.list_date,
        dates.cutoff_at,
        refunds.*
    from refunds
    inner join dates
        on {{ listenloop.overlaps_calling_hours(
            'refunds.call_window_start', 'refunds.call_window_end', 'dates'
        ) }}
    where refunds.refunded_at < dates.cutoff_at

)

select
    candidate_days.list_date,
    'returner' as segment,
    candidate_days.refund_id as trigger_id,
    orders.customer_id,
    candidate_days.refunded_at as trigger_at,
    candidate_days.call_window_start,
    candidate_days.call_window_end,
    candidate_days.refund_amount as value_amount,
    orders.currency,
    'Got ' || {{ listenloop.money_text('candidate_days.refund_amount', 'orders.currency') }}
        || ' back on ' || {{ listenloop.day_text('candidate_days.refunded_at') }}
        || ' for order ' || candidate_days.order_id
        || coalesce(' (' || nullif(trim(candidate_days.reason), '') || ')', '') as reason
from candidate_days
inner join {{ ref('int_orders__versions') }} as orders
    on candidate_days.order_id = orders.order_id
    and {{ listenloop.valid_at('orders', 'candidate_days.cutoff_at') }}
where orders.customer_id is not null
