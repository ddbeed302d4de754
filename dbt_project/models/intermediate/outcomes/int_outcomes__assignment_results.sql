{#-
    One row per assignment with what happened to it, observed up to the start of the as-of date
    (observed_until): its attributed attempts, conversion (intent to treat, the same clock for
    both arms), and the retention measures. Every window opens at call_window_start; a window
    that has not closed by observed_until is flagged incomplete, and the marts count only
    complete ones, except net revenue, which is measured to date (see docs/metrics.md).
    Orders are read as they stood at observed_until, so a rebuild for the same as-of date is
    reproducible. Order totals and refunds are summed in the order currency, unconverted.
-#}
{%- set horizon_days = [
    var('conversion_window_days'), var('repeat_purchase_days'), var('ltv_window_days')
] | max %}

with

assignments as (

    select
        *,
        {{ listenloop.observed_until() }} as observed_until
    from {{ ref('int_outcomes__assignments') }}

),

attempts as (

    select
        segment,
        trigger_id,
        count(*) as attempts,
        sum(case when is_connected then 1 else 0 end) as connects,
        max(case when outcome in ('issue_resolved', 'order_placed') then 1 else 0 end)
            as addressed,
        min(started_at) as first_attempt_at
    from {{ ref('int_outcomes__call_attribution') }}
    where is_attributed
    group by segment, trigger_id

),

-- orders as they stood at observed_until (the version in force then), so a void or a change
-- recorded later does not rewrite the outcomes of an earlier as-of date
orders as (

    select * from {{ ref('int_orders__versions') }} as orders
    where {{ listenloop.valid_at('orders', listenloop.observed_until()) }}
        and not orders.is_voided

),

-- the customer's orders from the window start on; a cart abandoner's own checkout, completed
-- as a guest order, counts as theirs too
assignment_orders as (

    select
        assignments.segment,
        assignments.trigger_id,
        orders.order_id,
        orders.total,
        orders.created_at
    from assignments
    inner join orders
        on assignments.customer_id = orders.customer_id
    where orders.created_at >= assignments.call_window_start
        and orders.created_at < assignments.observed_until
        and orders.created_at
            < {{ dbt.dateadd('day', horizon_days, 'assignments.call_window_start') }}

    union

    select
        assignments.segment,
        assignments.trigger_id,
        orders.order_id,
        orders.total,
        orders.created_at
    from assignments
    inner join orders
        on assignments.trigger_id = orders.checkout_id
    where assignments.segment = 'cart_abandoner'
        and orders.created_at >= assignments.call_window_start
        and orders.created_at < assignments.observed_until
        and orders.created_at < assignments.conversion_ends_at

),

order_measures as (

    select
        assignment_orders.segment,
        assignment_orders.trigger_id,
        {%- for name, days in [
            ('conversion', var('conversion_window_days')),
            ('repeat', var('repeat_purchase_days')),
            ('ltv', var('ltv_window_days')),
        ] %}
        sum(
            case
                when assignment_orders.created_at
                    < {{ dbt.dateadd('day', days, 'assignments.call_window_start') }}
                    then 1 else 0
            end
        ) as {{ name }}_orders,
        {%- endfor %}
        sum(
            case
                when assignment_orders.created_at < assignments.conversion_ends_at
                    then assignment_orders.total else 0
            end
        ) as conversion_revenue,
        sum(
            case
                when assignment_orders.created_at < assignments.conversion_ends_at
                    and assignment_orders.created_at >= attempts.first_attempt_at
                    then assignment_orders.total else 0
            end
        ) as post_attempt_revenue,
        sum(
            case
                when assignment_orders.created_at
                    < {{ dbt.dateadd('day', var('ltv_window_days'), 'assignments.call_window_start') }}
                    then assignment_orders.total else 0
            end
        ) as ltv_order_revenue
    from assignment_orders
    inner join assignments
        on assignment_orders.segment = assignments.segment
        and assignment_orders.trigger_id = assignments.trigger_id
    left join attempts
        on assignment_orders.segment = attempts.segment
        and assignment_orders.trigger_id = attempts.trigger_id
    group by assignment_orders.segment, assignment_orders.trigger_id

),

-- refunds of any of the customer's orders paid out inside the LTV window
refund_measures as (

    select
        assignments.segment,
        assignments.trigger_id,
        sum(refunds.refund_amount) as ltv_refunds
    from assignments
    inner join orders
        on assignments.customer_id = orders.customer_id
    inner join {{ ref('stg_store__refunds') }} as refunds
        on orders.order_id = refunds.order_id
    where refunds.refunded_at >= assignments.call_window_start
        and refunds.refunded_at < assignments.observed_until
        and refunds.refunded_at
            < {{ dbt.dateadd('day', var('ltv_window_days'), 'assignments.call_window_start') }}
    group by assignments.segment, assignments.trigger_id

),

-- the customer reached within the conversion window by a call made for something else (another
-- trigger or segment, or no assignment at all): in the holdout this is contamination
reached_elsewhere as (

    select distinct
        assignments.segment,
        assignments.trigger_id
    from assignments
    inner join {{ ref('int_outcomes__call_attribution') }} as calls
        on assignments.customer_id = calls.customer_id
    where calls.is_connected
        and calls.started_at >= assignments.call_window_start
        and calls.started_at < assignments.conversion_ends_at
        and not coalesce(
            calls.segment = assignments.segment and calls.trigger_id = assignments.trigger_id,
            false
        )

),

checkout_completions as (

    select
        assignments.segment,
        assignments.trigger_id
    from assignments
    inner join {{ ref('int_checkouts__abandoned') }} as checkouts
        on assignments.trigger_id = checkouts.checkout_id
    where assignments.segment = 'cart_abandoner'
        and checkouts.completed_at >= assignments.call_window_start
        and checkouts.completed_at < assignments.conversion_ends_at
        and checkouts.completed_at < assignments.observed_until

)

select
    assignments.segment,
    assignments.trigger_id,
    assignments.customer_id,
    assignments.arm,
    assignments.assigned_on,
    assignments.assignment_week,
    assignments.assignment_month,
    assignments.is_deferred,
    assignments.trigger_at,
    assignments.call_window_start,
    assignments.call_window_end,
    assignments.observed_until,

    coalesce(attempts.attempts, 0) as attempts,
    coalesce(attempts.connects, 0) as connects,
    coalesce(attempts.attempts, 0) > 0 as is_attempted,
    coalesce(attempts.connects, 0) > 0 as is_connected,
    coalesce(attempts.addressed, 0) = 1 as is_addressed,
    reached_elsewhere.trigger_id is not null as is_reached_elsewhere,
    attempts.first_attempt_at,

    assignments.conversion_ends_at <= assignments.observed_until as is_conversion_window_complete,
    coalesce(order_measures.conversion_orders, 0) > 0
        or checkout_completions.trigger_id is not null as is_converted,
    coalesce(order_measures.conversion_revenue, 0) as conversion_revenue,
    coalesce(order_measures.post_attempt_revenue, 0) as post_attempt_revenue,

    {{ dbt.dateadd('day', var('repeat_purchase_days'), 'assignments.call_window_start') }}
        <= assignments.observed_until as is_repeat_window_complete,
    coalesce(order_measures.repeat_orders, 0) > 0 as has_repeat_order,

    {{ dbt.dateadd('day', var('ltv_window_days'), 'assignments.call_window_start') }}
        <= assignments.observed_until as is_ltv_window_complete,
    coalesce(order_measures.ltv_orders, 0) > 0 as has_ltv_window_order,
    coalesce(order_measures.ltv_order_revenue, 0) - coalesce(refund_measures.ltv_refunds, 0)
        as net_revenue_to_date
from assignments
left join attempts
    on assignments.segment = attempts.segment
    and assignments.trigger_id = attempts.trigger_id
left join order_measures
    on assignments.segment = order_measures.segment
    and assignments.trigger_id = order_measures.trigger_id
left join refund_measures
    on assignments.segment = refund_measures.segment
    and assignments.trigger_id = refund_measures.trigger_id
left join reached_elsewhere
    on assignments.segment = reached_elsewhere.segment
    and assignments.trigger_id = reached_elsewhere.trigger_id
left join checkout_completions
    on assignments.segment = checkout_completions.segment
    and assignments.trigger_id = checkout_completions.trigger_id
