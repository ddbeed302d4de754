{#-
    First-time buyers before suppression: one row per (order, list date) where the order is the
    customer's first non-voided order as known at the list date's cutoff, and its call window
    (24-48 h after the order was placed) overlaps the list date's calling hours.
-#}
with

dates as (

    select * from {{ ref('int_call_list__dates') }}

),

versions as (

    select * from {{ ref('int_orders__versions') }}

),

candidate_days as (

    select
        dates.list_date,
        dates.cutoff_at,
        versions.*,
        {{ dbt.dateadd('hour', 24, 'versions.created_at') }} as call_window_start,
        {{ dbt.dateadd('hour', 48, 'versions.created_at') }} as call_window_end
    from versions
    inner join dates
        on {{ listenloop.overlaps_calling_hours(
            dbt.dateadd('hour', 24, 'versions.created_at'),
            dbt.dateadd('hour', 48, 'versions.created_at'),
            'dates'
        ) }}
    where {{ listenloop.valid_at('versions', 'dates.cutoff_at') }}
        and not versions.is_voided
        and versions.customer_id is not null

),

-- an earlier order of the same customer, not voided at the cutoff, makes this one not the first
earlier_orders as (

    select distinct candidate_days.list_date, candidate_days.order_id
    from candidate_days
    inner join versions as earlier
        on candidate_days.customer_id = earlier.customer_id
        and {{ listenloop.valid_at('earlier', 'candidate_days.cutoff_at') }}
    where not earlier.is_voided
        and (
            earlier.created_at < candidate_days.created_at
            or (
                earlier.created_at = candidate_days.created_at
                and earlier.order_id < candidate_days.order_id
            )
        )

)

select
    candidate_days.list_date,
    'first_purchase' as segment,
    candidate_days.order_id as trigger_id,
    candidate_days.customer_id,
    candidate_days.created_at as trigger_at,
    candidate_days.call_window_start,
    candidate_days.call_window_end,
    candidate_days.total as value_amount,
    candidate_days.currency,
    'Placed a first order of '
        || {{ listenloop.money_text('candidate_days.total', 'candidate_days.currency') }}
        || ' on ' || {{ listenloop.day_time_text('candidate_days.created_at') }} as reason
from candidate_days
left join earlier_orders
    on candidate_days.list_date = earlier_orders.list_date
    and candidate_days.order_id = earlier_orders.order_id
where earlier_orders.order_id is null
