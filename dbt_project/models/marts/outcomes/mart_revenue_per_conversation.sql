{#-
    What a conversation earns, per assignment week and segment (plus an 'all' row per segment
    pooling every week). Attributed revenue is descriptive: orders inside the conversion window
    placed at or after the first call. Incremental revenue is causal: the treatment arm's
    conversion revenue per assignment minus the holdout's, times the treatment assignments,
    spread over the calls made.
-#}
with

arms as (

    select * from {{ ref('int_outcomes__arm_weeks') }}

),

treatment as (

    select * from arms where arm = 'treatment'

),

holdout as (

    select * from arms where arm = 'holdout'

),

compared as (

    select
        coalesce(treatment.period_grain, holdout.period_grain) as period_grain,
        coalesce(treatment.week_start, holdout.week_start) as week_start,
        coalesce(treatment.segment, holdout.segment) as segment,
        coalesce(treatment.measured_assignments, 0) as treatment_assignments,
        coalesce(holdout.measured_assignments, 0) as holdout_assignments,
        coalesce(treatment.attempts, 0) as attempts,
        coalesce(treatment.connects, 0) as connects,
        coalesce(treatment.post_attempt_revenue, 0) as attributed_revenue,
        coalesce(treatment.conversion_revenue, 0) as treatment_revenue,
        treatment.conversion_revenue_variance as treatment_revenue_variance,
        coalesce(holdout.conversion_revenue, 0) as holdout_revenue,
        holdout.conversion_revenue_variance as holdout_revenue_variance
    from treatment
    full outer join holdout
        on treatment.period_grain = holdout.period_grain
        and treatment.segment = holdout.segment
        and {{ listenloop.same_week('treatment', 'holdout') }}

),

{%- set n, hn = 'treatment_assignments', 'holdout_assignments' %}
{%- set revenue = [
    'treatment_revenue', 'treatment_revenue_variance', n,
    'holdout_revenue', 'holdout_revenue_variance', hn,
] %}

final as (

    select
        period_grain,
        week_start,
        segment,
        treatment_assignments,
        holdout_assignments,
        attempts,
        connects,
        attributed_revenue,
        {{ listenloop.ratio('attributed_revenue', 'attempts') }} as revenue_per_conversation,
        {{ listenloop.ratio('attributed_revenue', 'connects') }} as revenue_per_connect,
        {{ listenloop.ratio('treatment_revenue', n) }} as revenue_per_treatment_assignment,
        {{ listenloop.ratio('holdout_revenue', hn) }} as revenue_per_holdout_assignment,
        {{ listenloop.incremental_total(*revenue) }} as incremental_revenue,
        {{ listenloop.incremental_total(*revenue, side='low') }} as incremental_revenue_ci_low,
        {{ listenloop.incremental_total(*revenue, side='high') }} as incremental_revenue_ci_high,
        {{ listenloop.is_low_sample([n, hn]) }} as low_sample
    from compared

)

select
    cast(period_grain as {{ dbt.type_string() }}) as period_grain,
    cast(week_start as date) as week_start,
    cast(segment as {{ dbt.type_string() }}) as segment,
    {%- for column in ['treatment_assignments', 'holdout_assignments', 'attempts', 'connects'] %}
    cast({{ column }} as {{ dbt.type_bigint() }}) as {{ 'conversations' if column == 'attempts' else column }},
    {%- endfor %}
    {%- for column in [
        'attributed_revenue', 'revenue_per_conversation', 'revenue_per_connect',
        'revenue_per_treatment_assignment', 'revenue_per_holdout_assignment',
        'incremental_revenue', 'incremental_revenue_ci_low', 'incremental_revenue_ci_high',
    ] %}
    cast({{ column }} as {{ listenloop.type_double() }}) as {{ column }},
    {%- endfor %}
    {%- for suffix in ['', '_ci_low', '_ci_high'] %}
    cast(incremental_revenue{{ suffix }} / nullif(attempts, 0) as {{ listenloop.type_double() }})
        as incremental_revenue_per_conversation{{ suffix }},
    {%- endfor %}
    low_sample
from final
