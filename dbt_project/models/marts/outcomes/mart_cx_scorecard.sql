{#-
    The CX scorecard: one row per week (from Monday) and per calendar month, program timezone,
    from the first day of data to the period holding the as-of date D. Surveys, calls and orders
    count up to observed_until (the start of D) only; the open period is flagged
    is_complete_period = false and measured up to D.

    Survey and call metrics count the period's own records. The customer metrics are trailing
    windows of order days ending at window_end_date (period_end, or D for the open period):
    "active" = a non-voided order in the previous scorecard_active_days() (365) days, churned =
    active but no order in the last scorecard_churn_days() (180) days. See docs/metrics.md.
-#}
{%- set active_days = listenloop.scorecard_active_days() | int -%}
{%- set churn_days = listenloop.scorecard_churn_days() | int -%}

with

periods as (

    select * from {{ ref('int_scorecard__periods') }}

),

surveys as (

    select
        *,
        {{ listenloop.to_program_date('submitted_at') }} as survey_date
    from {{ ref('stg_feedback__surveys') }}
    where submitted_at < {{ listenloop.observed_until() }}

),

calls as (

    select * from {{ ref('stg_telephony__calls') }}
    where started_at < {{ listenloop.observed_until() }}

),

order_days as (

    select * from {{ ref('int_scorecard__customer_order_days') }}

),

survey_measures as (

    select
        periods.period_grain,
        periods.period_start,
        count(surveys.nps) as nps_responses,
        sum(case when surveys.nps >= 9 then 1 else 0 end) as promoters,
        sum(case when surveys.nps <= 6 then 1 else 0 end) as detractors,
        count(surveys.csat) as csat_responses,
        sum(case when surveys.csat >= 4 then 1 else 0 end) as csat_satisfied,
        count(surveys.ces) as ces_responses,
        {{ listenloop.exact_mean('surveys.ces') }} as ces_mean,
        {{ listenloop.exact_variance('surveys.ces') }} as ces_variance
    from periods
    inner join surveys
        on surveys.survey_date >= periods.period_start
        and surveys.survey_date < periods.period_end
    group by periods.period_grain, periods.period_start

),

call_measures as (

    select
        periods.period_grain,
        periods.period_start,

        sum(case when calls.is_connected and calls.handle_seconds is not null then 1 else 0 end)
            as handle_time_calls,
        sum(case when calls.is_connected then calls.handle_seconds end) as handle_seconds,

        sum(
            case
                when calls.direction = 'inbound' and calls.is_connected
                    and calls.resolved_first_contact is not null
                    then 1 else 0
            end
        ) as first_contact_resolution_calls,
        sum(
            case
                when calls.direction = 'inbound' and calls.is_connected
                    and calls.resolved_first_contact
                    then 1 else 0
            end
        ) as first_contact_resolutions,

        sum(case when calls.direction = 'inbound' then 1 else 0 end) as inbound_offered_calls,
        sum(
            case when calls.direction = 'inbound' and calls.disposition = 'abandoned' then 1 else 0 end
        ) as inbound_abandoned_calls,

        sum(case when calls.direction = 'outbound' then 1 else 0 end) as outbound_attempts,
        sum(case when calls.direction = 'outbound' and calls.is_connected then 1 else 0 end)
            as outbound_connects
    from periods
    inner join calls
        on calls.call_date >= periods.period_start
        and calls.call_date < periods.period_end
    group by periods.period_grain, periods.period_start

),

-- each customer's orders in the longest window a period needs: from active_days before
-- period_start (customers at the start) to window_end_date (customers at the end)
customer_windows as (

    select
        periods.period_grain,
        periods.period_start,
        order_days.customer_id,
        sum(
            case
                when order_days.order_date
                    >= {{ dbt.dateadd('day', -active_days, 'periods.window_end_date') }}
                    then order_days.orders else 0
            end
        ) as orders_active_at_end,
        max(case when order_days.order_date < periods.period_start then 1 else 0 end)
            as is_active_at_start,
        max(
            case
                when order_days.order_date
                    >= {{ dbt.dateadd('day', -churn_days, 'periods.window_end_date') }}
                    then 1 else 0
            end
        ) as ordered_recently,
        -- every order day joined here is before window_end_date, so a first order on or after
        -- period_start falls inside the period
        max(case when order_days.first_order_date >= periods.period_start then 1 else 0 end)
            as is_new
    from periods
    inner join order_days
        on order_days.order_date >= {{ dbt.dateadd('day', -active_days, 'periods.period_start') }}
        and order_days.order_date < periods.window_end_date
    group by periods.period_grain, periods.period_start, order_days.customer_id

),

customer_measures as (

    select
        period_grain,
        period_start,
        sum(case when orders_active_at_end >= 1 then 1 else 0 end) as active_at_end,
        sum(case when orders_active_at_end >= 2 then 1 else 0 end) as repeat_customers,
        sum(is_active_at_start) as customers_at_start,
        sum(is_new) as new_customers,
        sum(case when orders_active_at_end >= 1 and ordered_recently = 0 then 1 else 0 end)
            as churned_customers
    from customer_windows
    group by period_grain, period_start

),

counted as (

    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.is_complete_period,
        periods.window_end_date,

        coalesce(survey_measures.nps_responses, 0) as nps_responses,
        coalesce(survey_measures.promoters, 0) as promoters,
        coalesce(survey_measures.detractors, 0) as detractors,
        coalesce(survey_measures.csat_responses, 0) as csat_responses,
        coalesce(survey_measures.csat_satisfied, 0) as csat_satisfied,
        coalesce(survey_measures.ces_responses, 0) as ces_responses,
        survey_measures.ces_mean,
        survey_measures.ces_variance,

        coalesce(call_measures.handle_time_calls, 0) as handle_time_calls,
        call_measures.handle_seconds,
        coalesce(call_measures.first_contact_resolution_calls, 0)
            as first_contact_resolution_calls,
        coalesce(call_measures.first_contact_resolutions, 0) as first_contact_resolutions,
        coalesce(call_measures.inbound_offered_calls, 0) as inbound_offered_calls,
        coalesce(call_measures.inbound_abandoned_calls, 0) as inbound_abandoned_calls,
        coalesce(call_measures.outbound_attempts, 0) as outbound_attempts,
        coalesce(call_measures.outbound_connects, 0) as outbound_connects,

        coalesce(customer_measures.active_at_end, 0) as active_at_end,
        coalesce(customer_measures.repeat_customers, 0) as repeat_customers,
        coalesce(customer_measures.customers_at_start, 0) as customers_at_start,
        coalesce(customer_measures.new_customers, 0) as new_customers,
        coalesce(customer_measures.churned_customers, 0) as churned_customers
    from periods
    left join survey_measures
        on periods.period_grain = survey_measures.period_grain
        and periods.period_start = survey_measures.period_start
    left join call_measures
        on periods.period_grain = call_measures.period_grain
        and periods.period_start = call_measures.period_start
    left join customer_measures
        on periods.period_grain = customer_measures.period_grain
        and periods.period_start = customer_measures.period_start

)

select
    cast(period_grain as {{ dbt.type_string() }}) as period_grain,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(is_complete_period as {{ dbt.type_boolean() }}) as is_complete_period,
    cast(window_end_date as date) as window_end_date,

    ---------- NPS
    cast(nps_responses as {{ dbt.type_bigint() }}) as nps_responses,
    cast(promoters as {{ dbt.type_bigint() }}) as promoters,
    cast(detractors as {{ dbt.type_bigint() }}) as detractors,
    {{ listenloop.ratio('promoters', 'nps_responses') }} as promoter_share,
    {{ listenloop.ratio('detractors', 'nps_responses') }} as detractor_share,
    100 * {{ listenloop.ratio('promoters - detractors', 'nps_responses') }} as nps,
    {{ listenloop.nps_bound('promoters', 'detractors', 'nps_responses', 'low') }} as nps_ci_low,
    {{ listenloop.nps_bound('promoters', 'detractors', 'nps_responses', 'high') }} as nps_ci_high,

    ---------- CSAT
    cast(csat_responses as {{ dbt.type_bigint() }}) as csat_responses,
    cast(csat_satisfied as {{ dbt.type_bigint() }}) as csat_satisfied,
    {{ listenloop.ratio('csat_satisfied', 'csat_responses') }} as csat,
    {{ listenloop.wilson_bound('csat_satisfied', 'csat_responses', 'low') }} as csat_ci_low,
    {{ listenloop.wilson_bound('csat_satisfied', 'csat_responses', 'high') }} as csat_ci_high,

    ---------- CES
    cast(ces_responses as {{ dbt.type_bigint() }}) as ces_responses,
    cast(ces_mean as {{ listenloop.type_double() }}) as ces_mean,
    cast(
        {{ listenloop.mean_t_bound('ces_mean', 'ces_variance', 'ces_responses', 'low') }}
        as {{ listenloop.type_double() }}
    ) as ces_mean_ci_low,
    cast(
        {{ listenloop.mean_t_bound('ces_mean', 'ces_variance', 'ces_responses', 'high') }}
        as {{ listenloop.type_double() }}
    ) as ces_mean_ci_high,

    {{ listenloop.is_low_sample(['nps_responses', 'csat_responses', 'ces_responses']) }}
        as low_sample_surveys,

    ---------- calls
    cast(handle_time_calls as {{ dbt.type_bigint() }}) as handle_time_calls,
    {{ listenloop.ratio('handle_seconds', 'handle_time_calls') }} as avg_handle_seconds,

    cast(first_contact_resolution_calls as {{ dbt.type_bigint() }})
        as first_contact_resolution_calls,
    cast(first_contact_resolutions as {{ dbt.type_bigint() }}) as first_contact_resolutions,
    {{ listenloop.ratio('first_contact_resolutions', 'first_contact_resolution_calls') }}
        as first_contact_resolution_rate,
    {{ listenloop.wilson_bound('first_contact_resolutions', 'first_contact_resolution_calls', 'low') }}
        as first_contact_resolution_rate_ci_low,
    {{ listenloop.wilson_bound('first_contact_resolutions', 'first_contact_resolution_calls', 'high') }}
        as first_contact_resolution_rate_ci_high,

    cast(inbound_offered_calls as {{ dbt.type_bigint() }}) as inbound_offered_calls,
    cast(inbound_abandoned_calls as {{ dbt.type_bigint() }}) as inbound_abandoned_calls,
    {{ listenloop.ratio('inbound_abandoned_calls', 'inbound_offered_calls') }} as abandoned_rate,
    {{ listenloop.wilson_bound('inbound_abandoned_calls', 'inbound_offered_calls', 'low') }}
        as abandoned_rate_ci_low,
    {{ listenloop.wilson_bound('inbound_abandoned_calls', 'inbound_offered_calls', 'high') }}
        as abandoned_rate_ci_high,

    cast(outbound_attempts as {{ dbt.type_bigint() }}) as outbound_attempts,
    cast(outbound_connects as {{ dbt.type_bigint() }}) as outbound_connects,
    {{ listenloop.ratio('outbound_connects', 'outbound_attempts') }} as outbound_connect_rate,
    {{ listenloop.wilson_bound('outbound_connects', 'outbound_attempts', 'low') }}
        as outbound_connect_rate_ci_low,
    {{ listenloop.wilson_bound('outbound_connects', 'outbound_attempts', 'high') }}
        as outbound_connect_rate_ci_high,

    {{ listenloop.is_low_sample([
        'handle_time_calls', 'first_contact_resolution_calls', 'inbound_offered_calls',
        'outbound_attempts',
    ]) }} as low_sample_calls,

    ---------- customers (trailing windows ending at window_end_date)
    cast(active_at_end as {{ dbt.type_bigint() }}) as buying_customers,
    cast(repeat_customers as {{ dbt.type_bigint() }}) as repeat_customers,
    {{ listenloop.ratio('repeat_customers', 'active_at_end') }} as repeat_purchase_rate,
    {{ listenloop.wilson_bound('repeat_customers', 'active_at_end', 'low') }}
        as repeat_purchase_rate_ci_low,
    {{ listenloop.wilson_bound('repeat_customers', 'active_at_end', 'high') }}
        as repeat_purchase_rate_ci_high,

    cast(customers_at_start as {{ dbt.type_bigint() }}) as customers_at_start,
    cast(active_at_end as {{ dbt.type_bigint() }}) as customers_at_end,
    cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
    {{ listenloop.ratio('active_at_end - new_customers', 'customers_at_start') }}
        as retention_rate,

    cast(active_at_end as {{ dbt.type_bigint() }}) as churn_base,
    cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
    {{ listenloop.ratio('churned_customers', 'active_at_end') }} as churn_rate,
    {{ listenloop.wilson_bound('churned_customers', 'active_at_end', 'low') }} as churn_rate_ci_low,
    {{ listenloop.wilson_bound('churned_customers', 'active_at_end', 'high') }}
        as churn_rate_ci_high,

    {{ listenloop.is_low_sample(['active_at_end', 'customers_at_start']) }} as low_sample_customers

from counted
