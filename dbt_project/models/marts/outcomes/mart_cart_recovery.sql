{#-
    Cart recovery per assignment week and arm (plus an 'all' row per arm pooling every week),
    intent to treat: every cart-abandoner assignment counts in its arm whether or not it was
    called. Lift compares treatment with the holdout of the same period; it sits on the
    treatment row and is empty on the holdout row.
-#}
with

arms as (

    select * from {{ ref('int_outcomes__arm_weeks') }}
    where segment = 'cart_abandoner'

),

holdout as (

    select * from arms where arm = 'holdout'

),

compared as (

    select
        arms.*,
        arms.arm = 'treatment' as is_treatment,
        holdout.measured_assignments as holdout_assignments,
        holdout.converted as holdout_converted,
        holdout.conversion_revenue as holdout_revenue,
        holdout.conversion_revenue_variance as holdout_revenue_variance
    from arms
    left join holdout
        on arms.period_grain = holdout.period_grain
        and {{ listenloop.same_week('arms', 'holdout') }}

),

{%- set n, x = 'measured_assignments', 'converted' %}
{%- set hn, hx = 'holdout_assignments', 'holdout_converted' %}
{%- set revenue = [
    'conversion_revenue', 'conversion_revenue_variance', n,
    'holdout_revenue', 'holdout_revenue_variance', hn,
] %}

final as (

    select
        period_grain,
        week_start,
        arm,
        measured_assignments,
        pending_assignments,
        attempted,
        connected,
        reached_elsewhere,
        converted as recovered,
        {{ listenloop.ratio(x, n) }} as recovery_rate,
        {{ listenloop.wilson_bound(x, n, 'low') }} as recovery_rate_ci_low,
        {{ listenloop.wilson_bound(x, n, 'high') }} as recovery_rate_ci_high,
        conversion_revenue as recovered_revenue,
        case when is_treatment then connected_converted end as connected_recovered,
        case when is_treatment then {{ listenloop.ratio('connected_converted', 'connected') }} end
            as recovery_rate_connected,
        case when is_treatment then {{ listenloop.wilson_bound('connected_converted', 'connected', 'low') }} end
            as recovery_rate_connected_ci_low,
        case when is_treatment then {{ listenloop.wilson_bound('connected_converted', 'connected', 'high') }} end
            as recovery_rate_connected_ci_high,
        case when is_treatment then {{ listenloop.ratio(x, n) }} - {{ listenloop.ratio(hx, hn) }} end
            as absolute_lift,
        case when is_treatment then {{ listenloop.newcombe_bound(x, n, hx, hn, 'low') }} end
            as absolute_lift_ci_low,
        case when is_treatment then {{ listenloop.newcombe_bound(x, n, hx, hn, 'high') }} end
            as absolute_lift_ci_high,
        case when is_treatment then {{ listenloop.ratio(x, n) }} / nullif({{ listenloop.ratio(hx, hn) }}, 0) - 1 end
            as relative_lift,
        case when is_treatment then {{ listenloop.risk_ratio_lift_bound(x, n, hx, hn, 'low') }} end
            as relative_lift_ci_low,
        case when is_treatment then {{ listenloop.risk_ratio_lift_bound(x, n, hx, hn, 'high') }} end
            as relative_lift_ci_high,
        case when is_treatment then {{ listenloop.incremental_total(*revenue) }} end
            as incremental_recovered_revenue,
        case when is_treatment then {{ listenloop.incremental_total(*revenue, side='low') }} end
            as incremental_recovered_revenue_ci_low,
        case when is_treatment then {{ listenloop.incremental_total(*revenue, side='high') }} end
            as incremental_recovered_revenue_ci_high,
        {{ listenloop.is_low_sample([n, hn]) }} as low_sample
    from compared

)

select
    cast(period_grain as {{ dbt.type_string() }}) as period_grain,
    cast(week_start as date) as week_start,
    cast(arm as {{ dbt.type_string() }}) as arm,
    cast(measured_assignments as {{ dbt.type_bigint() }}) as assignments,
    cast(pending_assignments as {{ dbt.type_bigint() }}) as pending_assignments,
    cast(attempted as {{ dbt.type_bigint() }}) as attempted,
    cast(connected as {{ dbt.type_bigint() }}) as connected,
    cast(reached_elsewhere as {{ dbt.type_bigint() }}) as reached_by_other_calls,
    cast(recovered as {{ dbt.type_bigint() }}) as recovered,
    {%- for column in [
        'recovery_rate', 'recovery_rate_ci_low', 'recovery_rate_ci_high', 'recovered_revenue',
    ] %}
    cast({{ column }} as {{ listenloop.type_double() }}) as {{ column }},
    {%- endfor %}
    cast(connected_recovered as {{ dbt.type_bigint() }}) as connected_recovered,
    {%- for column in [
        'recovery_rate_connected', 'recovery_rate_connected_ci_low', 'recovery_rate_connected_ci_high',
        'absolute_lift', 'absolute_lift_ci_low', 'absolute_lift_ci_high',
        'relative_lift', 'relative_lift_ci_low', 'relative_lift_ci_high',
        'incremental_recovered_revenue', 'incremental_recovered_revenue_ci_low',
        'incremental_recovered_revenue_ci_high',
    ] %}
    cast({{ column }} as {{ listenloop.type_double() }}) as {{ column }},
    {%- endfor %}
    low_sample
from final
