{#-
    Assignment results summed per week, segment and arm, plus one 'all' row per segment and arm
    over every week (period_grain = 'all', week_start null), so the marts can give a pooled
    interval as well as the weekly ones. Conversion measures count only assignments whose
    conversion window has closed (measured_assignments); the rest are pending_assignments.
-#}
with

results as (

    select * from {{ ref('int_outcomes__assignment_results') }}

),

{%- set measures %}
        sum(case when is_conversion_window_complete then 0 else 1 end) as pending_assignments,
        sum(case when is_conversion_window_complete then 1 else 0 end) as measured_assignments,
        sum(case when is_conversion_window_complete and is_attempted then 1 else 0 end)
            as attempted,
        sum(case when is_conversion_window_complete and is_connected then 1 else 0 end)
            as connected,
        sum(case when is_conversion_window_complete and is_converted then 1 else 0 end)
            as converted,
        sum(case when is_conversion_window_complete and is_reached_elsewhere then 1 else 0 end)
            as reached_elsewhere,
        sum(
            case when is_conversion_window_complete and is_connected and is_converted then 1 else 0 end
        ) as connected_converted,
        sum(case when is_conversion_window_complete then attempts else 0 end) as attempts,
        sum(case when is_conversion_window_complete then connects else 0 end) as connects,
        sum(case when is_conversion_window_complete then conversion_revenue else 0 end)
            as conversion_revenue,
        {{ listenloop.exact_variance(
            'case when is_conversion_window_complete then conversion_revenue end'
        ) }} as conversion_revenue_variance,
        sum(case when is_conversion_window_complete then post_attempt_revenue else 0 end)
            as post_attempt_revenue
{%- endset %}

weekly as (

    select
        'week' as period_grain,
        assignment_week as week_start,
        segment,
        arm,
        {{ measures }}
    from results
    group by assignment_week, segment, arm

),

all_weeks as (

    select
        'all' as period_grain,
        cast(null as date) as week_start,
        segment,
        arm,
        {{ measures }}
    from results
    group by segment, arm

)

select * from weekly
union all
select * from all_weeks
