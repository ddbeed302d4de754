{#-
    The CX scorecard's periods: one row per (period_grain, period_start) for weeks (from Monday)
    and calendar months in the program timezone, plus one 'all' period for the program to date, from the period holding the first day of data
    (the first call, survey or non-voided order before observed_until) up to the period holding
    the as-of date D. window_end_date is the exclusive end of what a period can observe: its
    period_end, or D for the period still open at observed_until.
-#}
with

first_days as (

    select min(first_date) as first_date
    from (
        select min(call_date) as first_date
        from {{ ref('stg_telephony__calls') }}
        where started_at < {{ listenloop.observed_until() }}
        union all
        select min({{ listenloop.to_program_date('submitted_at') }})
        from {{ ref('stg_feedback__surveys') }}
        where submitted_at < {{ listenloop.observed_until() }}
        union all
        select min(order_date)
        from {{ ref('int_scorecard__customer_order_days') }}
    ) as firsts

),

spine as (

    {{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2100-01-01' as date)") }}

),

days as (

    select cast(spine.date_day as date) as day_date
    from spine
    cross join first_days
    where cast(spine.date_day as date) >= first_days.first_date
        and cast(spine.date_day as date) <= {{ listenloop.as_of_date() }}

),

grains as (

    select 'week' as period_grain
    union all
    select 'month' as period_grain

),

periods as (

    select distinct
        grains.period_grain,
        {{ listenloop.scorecard_period_start('grains.period_grain', 'days.day_date') }}
            as period_start
    from days
    cross join grains

),

bounded as (

    select
        period_grain,
        period_start,
        {{ listenloop.scorecard_period_end('period_grain', 'period_start') }} as period_end
    from periods

    union all

    -- the program to date: from the first day of data up to the as-of date
    select
        'all' as period_grain,
        first_date as period_start,
        {{ listenloop.as_of_date() }} as period_end
    from first_days

)

select
    period_grain,
    period_start,
    period_end,
    period_end <= {{ listenloop.as_of_date() }} as is_complete_period,
    case
        when period_end <= {{ listenloop.as_of_date() }} then period_end
        else {{ listenloop.as_of_date() }}
    end as window_end_date
from bounded
