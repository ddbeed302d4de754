{#-
    One row per week: the headline numbers a dashboard shows first. Activity metrics (calls,
    concerns, surveys) count what happened in the week; cohort metrics (cart recovery, revenue per
    conversation, LTV lift) count the assignments first listed in the week, as in their own marts.
-#}
{%- set retention_segments = ['first_purchase', 'one_time_buyer', 'returner'] %}

with

scorecard as (

    select * from {{ ref('mart_cx_scorecard') }}
    where period_grain = 'week'

),

unattributed as (

    select
        {{ listenloop.week_start('call_date') }} as week_start,
        sum(case when is_attributed then 0 else 1 end) as unattributed_calls
    from {{ ref('int_outcomes__call_attribution') }}
    group by 1

),

carts as (

    select * from {{ ref('mart_cart_recovery') }}
    where period_grain = 'week' and arm = 'treatment'

),

conversations as (

    select
        week_start,
        sum(conversations) as conversations,
        sum(attributed_revenue) as attributed_revenue
    from {{ ref('mart_revenue_per_conversation') }}
    where period_grain = 'week'
    group by week_start

),

ltv_arms as (

    select
        assignment_week as week_start,
        arm,
        count(*) as members,
        -- days the week's youngest member has been followed: how much the LTV can show yet
        least(
            {{ var('ltv_window_days') }},
            greatest(0, {{ dbt.datediff('max(call_window_start)', 'max(observed_until)', 'day') }})
        ) as follow_up_days,
        {{ listenloop.exact_mean('net_revenue_to_date') }} as mean_value,
        {{ listenloop.exact_variance('net_revenue_to_date') }} as value_variance
    from {{ ref('int_outcomes__assignment_results') }}
    where segment in ('{{ retention_segments | join("', '") }}')
    group by assignment_week, arm

),

ltv as (

    select
        coalesce(treatment.week_start, holdout.week_start) as week_start,
        coalesce(treatment.members, 0) as treatment_members,
        coalesce(holdout.members, 0) as holdout_members,
        least(treatment.follow_up_days, holdout.follow_up_days) as follow_up_days,
        treatment.mean_value / nullif(holdout.mean_value, 0) - 1 as ltv_lift,
        {{ listenloop.mean_ratio_lift_bound(
            'treatment.mean_value', 'treatment.value_variance', 'treatment.members',
            'holdout.mean_value', 'holdout.value_variance', 'holdout.members', side='low'
        ) }} as ltv_lift_ci_low,
        {{ listenloop.mean_ratio_lift_bound(
            'treatment.mean_value', 'treatment.value_variance', 'treatment.members',
            'holdout.mean_value', 'holdout.value_variance', 'holdout.members', side='high'
        ) }} as ltv_lift_ci_high
    from (select * from ltv_arms where arm = 'treatment') as treatment
    full outer join (select * from ltv_arms where arm = 'holdout') as holdout
        on treatment.week_start = holdout.week_start

),

mentions as (

    select
        {{ listenloop.week_start('calls.call_date') }} as week_start,
        concerns.concern_tag,
        count(*) as mentions
    from {{ ref('stg_telephony__call_concerns') }} as concerns
    inner join {{ ref('stg_telephony__calls') }} as calls
        on concerns.call_id = calls.call_id
    where calls.is_connected
        and calls.started_at < {{ listenloop.observed_until() }}
    group by 1, 2

),

concerns as (

    select
        week_start,
        sum(mentions) as concern_mentions,
        sum(case when concern_tag = 'price' then mentions else 0 end) as price_mentions,
        max(case when mention_rank = 1 then concern_tag end) as top_concern,
        max(case when mention_rank = 1 then mentions end) as top_concern_mentions
    from (
        select
            *,
            row_number() over (
                partition by week_start order by mentions desc, concern_tag
            ) as mention_rank
        from mentions
    ) as ranked
    group by week_start

),

select
    scorecard.period_start as week_start,
    scorecard.is_complete_period as is_complete_week,
    scorecard.outbound_attempts as calls,
    scorecard.outbound_connects as connects,
    scorecard.outbound_connect_rate as connect_rate,
    scorecard.outbound_connect_rate_ci_low as connect_rate_ci_low,
    scorecard.outbound_connect_rate_ci_high as connect_rate_ci_high,
    cast(coalesce(unattributed.unattributed_calls, 0) as {{ dbt.type_bigint() }})
        as unattributed_calls,

    carts.assignments as carts_assigned,
    carts.recovered as carts_recovered,
    carts.recovery_rate as cart_recovery_rate,
    carts.absolute_lift as cart_recovery_lift,
    carts.absolute_lift_ci_low as cart_recovery_lift_ci_low,
    carts.absolute_lift_ci_high as cart_recovery_lift_ci_high,
    carts.incremental_recovered_revenue,

    cast(coalesce(conversations.conversations, 0) as {{ dbt.type_bigint() }}) as conversations,
    cast({{ listenloop.ratio('conversations.attributed_revenue', 'conversations.conversations') }}
        as {{ listenloop.type_double() }}) as revenue_per_conversation,

    cast(coalesce(ltv.treatment_members, 0) as {{ dbt.type_bigint() }}) as ltv_treatment_members,
    cast(coalesce(ltv.holdout_members, 0) as {{ dbt.type_bigint() }}) as ltv_holdout_members,
    cast(ltv.follow_up_days as {{ dbt.type_bigint() }}) as ltv_follow_up_days,
    cast(ltv.ltv_lift as {{ listenloop.type_double() }}) as ltv_lift,
    cast(ltv.ltv_lift_ci_low as {{ listenloop.type_double() }}) as ltv_lift_ci_low,
    cast(ltv.ltv_lift_ci_high as {{ listenloop.type_double() }}) as ltv_lift_ci_high,

    cast(concerns.top_concern as {{ dbt.type_string() }}) as top_concern,
    cast(concerns.top_concern_mentions as {{ dbt.type_bigint() }}) as top_concern_mentions,
    cast(coalesce(concerns.concern_mentions, 0) as {{ dbt.type_bigint() }}) as concern_mentions,
    cast({{ listenloop.ratio('concerns.price_mentions', 'concerns.concern_mentions') }}
        as {{ listenloop.type_double() }}) as price_share_of_mentions,

    scorecard.nps_responses,
    scorecard.nps,
    scorecard.nps_ci_low,
    scorecard.nps_ci_high,
    scorecard.csat_responses,
    scorecard.csat,
    scorecard.csat_ci_low,
    scorecard.csat_ci_high,

    coalesce(carts.low_sample, true)
        or {{ listenloop.is_low_sample(['ltv.treatment_members', 'ltv.holdout_members']) }}
        or scorecard.low_sample_surveys as low_sample
from scorecard
left join unattributed on scorecard.period_start = unattributed.week_start
left join carts on scorecard.period_start = carts.week_start
left join conversations on scorecard.period_start = conversations.week_start
left join ltv on scorecard.period_start = ltv.week_start
left join concerns on scorecard.period_start = concerns.week_start
