{#-
    Retention lift against the holdout, long format: one row per assignment month, segment
    (first_purchase, one_time_buyer, returner), metric and comparison, plus one row per segment,
    metric and comparison over all months (period_grain 'all', assignment_month null).

    Metrics, per member (assignment) of int_outcomes__assignment_results:
      repeat_purchase_rate_90d  has_repeat_order, over members whose repeat window is complete
      ltv_180d                  mean net_revenue_to_date over ALL members: measured to date,
                                capped at var('ltv_window_days'); both arms of a month share the
                                same follow-up, so the comparison is fair while the window is open
      churn_rate_180d           not has_ltv_window_order, over members whose LTV window is complete
    Comparisons:
      treatment_vs_holdout      intent to treat: every treatment member vs the holdout (causal)
      addressed_vs_holdout      treatment members whose concern was addressed vs the whole
                                holdout: descriptive, not causal (who gets addressed is selected)
    The grid (months x segments x metrics x comparisons) is complete: a group without members
    gets a row with null values and low_sample = true, so a dashboard's grid has no holes.
    Intervals are 95%: Wilson / Newcombe / Katz for rates, t / Welch / delta method for LTV
    (macros/outcomes/stats.sql, formulas in docs/metrics.md).
-#}
{%- set segments = ['first_purchase', 'one_time_buyer', 'returner'] %}
{%- set comparisons = [
    ('treatment_vs_holdout', 'treatment', true),
    ('addressed_vs_holdout', 'addressed', false),
] %}
{#- name, window days, kind, n column, event column, open-window column, follow-up column -#}
{%- set metrics = [
    ('repeat_purchase_rate_90d', var('repeat_purchase_days'), 'rate',
        'repeat_members', 'repeat_events', 'repeat_open', 'repeat_follow_up_days'),
    ('ltv_180d', var('ltv_window_days'), 'mean',
        'members', none, 'ltv_open', 'ltv_follow_up_days'),
    ('churn_rate_180d', var('ltv_window_days'), 'rate',
        'churn_members', 'churn_events', 'ltv_open', 'ltv_follow_up_days'),
] %}

with

results as (

    select * from {{ ref('int_outcomes__assignment_results') }}
    where segment in ('{{ segments | join("', '") }}')

),

-- every member in each group it belongs to: its arm, and addressed treatment members once more
grouped_members as (
    {%- for member_group, condition in [('arm', 'true'), ("'addressed'", "arm = 'treatment' and is_addressed")] %}

    select
        assignment_month,
        segment,
        {{ member_group }} as member_group,
        is_repeat_window_complete,
        has_repeat_order,
        is_ltv_window_complete,
        has_ltv_window_order,
        net_revenue_to_date as net_revenue,
        -- whole days observed since the window opened; negative when it opens after
        -- observed_until (listed on the as-of date itself)
        floor(
            {{ dbt.datediff('call_window_start', 'observed_until', 'second') }} / 86400.0
        ) as elapsed_days
    from results
    where {{ condition }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

-- per month and, in the rollup (assignment_month null), over all months
group_stats as (

    select
        assignment_month,
        segment,
        member_group,
        count(*) as members,
        sum(case when is_repeat_window_complete then 1 else 0 end) as repeat_members,
        sum(case when is_repeat_window_complete and has_repeat_order then 1 else 0 end)
            as repeat_events,
        sum(case when is_repeat_window_complete then 0 else 1 end) as repeat_open,
        sum(case when is_ltv_window_complete then 1 else 0 end) as churn_members,
        sum(case when is_ltv_window_complete and not has_ltv_window_order then 1 else 0 end)
            as churn_events,
        sum(case when is_ltv_window_complete then 0 else 1 end) as ltv_open,
        sum(net_revenue) as net_revenue,
        {{ listenloop.exact_mean('net_revenue') }} as net_revenue_mean,
        {{ listenloop.exact_variance('net_revenue') }} as net_revenue_var,
        least(
            {{ var('repeat_purchase_days') }}, greatest(min(elapsed_days), 0)
        ) as repeat_follow_up_days,
        least({{ var('ltv_window_days') }}, greatest(min(elapsed_days), 0)) as ltv_follow_up_days
    from grouped_members
    group by grouping sets ((assignment_month, segment, member_group), (segment, member_group))

),

months as (

    select distinct assignment_month from results
    union all
    select cast(null as date) as assignment_month

),

grid as (

    select
        months.assignment_month,
        segments.segment,
        comparisons.comparison,
        comparisons.member_group,
        comparisons.is_causal
    from months
    cross join (
        {%- for segment in segments %}
        select '{{ segment }}' as segment{{ ' union all' if not loop.last }}
        {%- endfor %}
    ) as segments
    cross join (
        {%- for comparison, member_group, is_causal in comparisons %}
        select
            '{{ comparison }}' as comparison,
            '{{ member_group }}' as member_group,
            {{ 'true' if is_causal else 'false' }} as is_causal{{ ' union all' if not loop.last }}
        {%- endfor %}
    ) as comparisons

),

-- group (g_) and holdout (h_) side by side; a group without members has zero counts
compared as (

    select
        grid.assignment_month,
        grid.segment,
        grid.comparison,
        grid.is_causal,
        {%- for prefix, stats in [('g', 'group_side'), ('h', 'holdout_side')] %}
        coalesce({{ stats }}.members, 0) as {{ prefix }}_members,
        coalesce({{ stats }}.repeat_members, 0) as {{ prefix }}_repeat_members,
        coalesce({{ stats }}.repeat_events, 0) as {{ prefix }}_repeat_events,
        coalesce({{ stats }}.repeat_open, 0) as {{ prefix }}_repeat_open,
        coalesce({{ stats }}.churn_members, 0) as {{ prefix }}_churn_members,
        coalesce({{ stats }}.churn_events, 0) as {{ prefix }}_churn_events,
        coalesce({{ stats }}.ltv_open, 0) as {{ prefix }}_ltv_open,
        coalesce({{ stats }}.net_revenue, 0) as {{ prefix }}_net_revenue,
        {{ stats }}.net_revenue_mean as {{ prefix }}_net_revenue_mean,
        {{ stats }}.net_revenue_var as {{ prefix }}_net_revenue_var,
        {{ stats }}.repeat_follow_up_days as {{ prefix }}_repeat_follow_up_days,
        {{ stats }}.ltv_follow_up_days as {{ prefix }}_ltv_follow_up_days{{ ',' if not loop.last }}
        {%- endfor %}
    from grid
    left join group_stats as group_side
        on grid.segment = group_side.segment
        and grid.member_group = group_side.member_group
        and (
            grid.assignment_month = group_side.assignment_month
            or (grid.assignment_month is null and group_side.assignment_month is null)
        )
    left join group_stats as holdout_side
        on grid.segment = holdout_side.segment
        and holdout_side.member_group = 'holdout'
        and (
            grid.assignment_month = holdout_side.assignment_month
            or (grid.assignment_month is null and holdout_side.assignment_month is null)
        )

),

metric_rows as (

    {%- for metric, window_days, kind, n, x, open_count, follow_up in metrics %}
    select
        assignment_month,
        segment,
        '{{ metric }}' as metric,
        comparison,
        is_causal,
        {{ window_days }} as window_days,
        g_{{ n }} as group_members,
        h_{{ n }} as holdout_members,
        {%- if kind == 'rate' %}
        g_{{ x }} as group_events,
        h_{{ x }} as holdout_events,
        cast(null as {{ listenloop.type_double() }}) as group_net_revenue,
        cast(null as {{ listenloop.type_double() }}) as holdout_net_revenue,
        {%- for prefix in ['g', 'h'] %}
        {{ listenloop.ratio(prefix ~ '_' ~ x, prefix ~ '_' ~ n) }} as {{ prefix }}_value,
        {{ listenloop.wilson_bound(prefix ~ '_' ~ x, prefix ~ '_' ~ n, 'low') }}
            as {{ prefix }}_value_ci_low,
        {{ listenloop.wilson_bound(prefix ~ '_' ~ x, prefix ~ '_' ~ n, 'high') }}
            as {{ prefix }}_value_ci_high,
        {%- endfor %}
        {{ listenloop.ratio('g_' ~ x, 'g_' ~ n) }} - {{ listenloop.ratio('h_' ~ x, 'h_' ~ n) }}
            as absolute_lift,
        {%- for side in ['low', 'high'] %}
        {{ listenloop.newcombe_bound('g_' ~ x, 'g_' ~ n, 'h_' ~ x, 'h_' ~ n, side) }}
            as absolute_lift_ci_{{ side }},
        {%- endfor %}
        {{ listenloop.ratio('g_' ~ x, 'g_' ~ n) }}
            / nullif({{ listenloop.ratio('h_' ~ x, 'h_' ~ n) }}, 0) - 1 as relative_lift,
        {%- for side in ['low', 'high'] %}
        {{ listenloop.risk_ratio_lift_bound('g_' ~ x, 'g_' ~ n, 'h_' ~ x, 'h_' ~ n, side) }}
            as relative_lift_ci_{{ side }},
        {%- endfor %}
        {%- else %}
        cast(null as {{ dbt.type_bigint() }}) as group_events,
        cast(null as {{ dbt.type_bigint() }}) as holdout_events,
        g_net_revenue as group_net_revenue,
        h_net_revenue as holdout_net_revenue,
        {%- for prefix in ['g', 'h'] %}
        {{ prefix }}_net_revenue_mean as {{ prefix }}_value,
        {%- for side, sign in [('low', '-'), ('high', '+')] %}
        case when {{ prefix }}_members > 1 then
            {{ prefix }}_net_revenue_mean
            {{ sign }} {{ listenloop.t975(prefix ~ '_members - 1') }}
            * sqrt({{ prefix }}_net_revenue_var / {{ prefix }}_members)
        end as {{ prefix }}_value_ci_{{ side }},
        {%- endfor %}
        {%- endfor %}
        g_net_revenue_mean - h_net_revenue_mean as absolute_lift,
        {%- for side in ['low', 'high'] %}
        {{ listenloop.welch_bound(
            'g_net_revenue_mean', 'g_net_revenue_var', 'g_members',
            'h_net_revenue_mean', 'h_net_revenue_var', 'h_members', side
        ) }} as absolute_lift_ci_{{ side }},
        {%- endfor %}
        g_net_revenue_mean / nullif(h_net_revenue_mean, 0) - 1 as relative_lift,
        {%- for side in ['low', 'high'] %}
        {{ listenloop.mean_ratio_lift_bound(
            'g_net_revenue_mean', 'g_net_revenue_var', 'g_members',
            'h_net_revenue_mean', 'h_net_revenue_var', 'h_members', side
        ) }} as relative_lift_ci_{{ side }},
        {%- endfor %}
        {%- endif %}
        {{ listenloop.is_low_sample(['g_' ~ n, 'h_' ~ n]) }} as low_sample,
        (g_members + h_members > 0 and g_{{ open_count }} + h_{{ open_count }} = 0)
            as is_window_complete,
        case
            when g_{{ follow_up }} is null then h_{{ follow_up }}
            when h_{{ follow_up }} is null or g_{{ follow_up }} < h_{{ follow_up }}
                then g_{{ follow_up }}
            else h_{{ follow_up }}
        end as follow_up_days
    from compared
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select
    cast(
        case when assignment_month is null then 'all' else 'month' end as {{ dbt.type_string() }}
    ) as period_grain,
    cast(assignment_month as date) as assignment_month,
    cast(segment as {{ dbt.type_string() }}) as segment,
    cast(metric as {{ dbt.type_string() }}) as metric,
    cast(comparison as {{ dbt.type_string() }}) as comparison,
    cast(is_causal as boolean) as is_causal,
    cast(window_days as {{ dbt.type_bigint() }}) as window_days,

    cast(group_members as {{ dbt.type_bigint() }}) as group_members,
    cast(group_events as {{ dbt.type_bigint() }}) as group_events,
    cast(group_net_revenue as {{ listenloop.type_double() }}) as group_net_revenue,
    cast(g_value as {{ listenloop.type_double() }}) as group_value,
    cast(g_value_ci_low as {{ listenloop.type_double() }}) as group_value_ci_low,
    cast(g_value_ci_high as {{ listenloop.type_double() }}) as group_value_ci_high,

    cast(holdout_members as {{ dbt.type_bigint() }}) as holdout_members,
    cast(holdout_events as {{ dbt.type_bigint() }}) as holdout_events,
    cast(holdout_net_revenue as {{ listenloop.type_double() }}) as holdout_net_revenue,
    cast(h_value as {{ listenloop.type_double() }}) as holdout_value,
    cast(h_value_ci_low as {{ listenloop.type_double() }}) as holdout_value_ci_low,
    cast(h_value_ci_high as {{ listenloop.type_double() }}) as holdout_value_ci_high,

    cast(absolute_lift as {{ listenloop.type_double() }}) as absolute_lift,
    cast(absolute_lift_ci_low as {{ listenloop.type_double() }}) as absolute_lift_ci_low,
    cast(absolute_lift_ci_high as {{ listenloop.type_double() }}) as absolute_lift_ci_high,
    cast(relative_lift as {{ listenloop.type_double() }}) as relative_lift,
    cast(relative_lift_ci_low as {{ listenloop.type_double() }}) as relative_lift_ci_low,
    cast(relative_lift_ci_high as {{ listenloop.type_double() }}) as relative_lift_ci_high,

    cast(low_sample as boolean) as low_sample,
    cast(is_window_complete as boolean) as is_window_complete,
    cast(follow_up_days as {{ dbt.type_bigint() }}) as follow_up_days,
    cast({{ listenloop.observed_until() }} as {{ dbt.type_timestamp() }}) as observed_until
from metric_rows
