{#
    Helpers of the CX scorecard (int_scorecard__*, mart_cx_scorecard). The definitions, with
    worked examples, are in docs/metrics.md.
#}

{#- A customer is "active" at a moment when they placed a non-voided order in this many
    days before it (repeat purchase, retention and churn bases). -#}
{% macro scorecard_active_days() -%}
    {{ var('scorecard_active_days') }}
{%- endmacro %}

{#- An active customer has churned when they have not ordered in this many days. -#}
{% macro scorecard_churn_days() -%}
    {{ var('scorecard_churn_days') }}
{%- endmacro %}

{#- The first day of the period (week from Monday, or month) that `date_expr` falls in, for the
    period grain held in `grain_column` ('week' or 'month'). -#}
{% macro scorecard_period_start(grain_column, date_expr) -%}
    case {{ grain_column }}
        when 'week' then {{ listenloop.week_start(date_expr) }}
        when 'month' then cast({{ dbt.date_trunc('month', date_expr) }} as date)
    end
{%- endmacro %}

{#- The first day after the period that starts on `start_column` (the exclusive end). -#}
{% macro scorecard_period_end(grain_column, start_column) -%}
    case {{ grain_column }}
        when 'week' then cast({{ dbt.dateadd('day', 7, start_column) }} as date)
        when 'month' then cast({{ dbt.dateadd('month', 1, start_column) }} as date)
    end
{%- endmacro %}

{#- 95% interval of a Net Promoter Score in points: 100 * (p - d) +- z * sqrt((p + d - (p - d)^2)
    / n), with p and d the promoter and detractor shares of n answers (the Wald interval of a
    difference of two shares of one multinomial sample), clipped to [-100, 100]. -#}
{% macro nps_bound(promoters, detractors, n, side) -%}
    {%- set p = listenloop.ratio(promoters, n) -%}
    {%- set d = listenloop.ratio(detractors, n) -%}
    case when {{ n }} > 0 then
        {{ 'greatest(-100.0, ' if side == 'low' else 'least(100.0, ' }}100 * (
            ({{ p }} - {{ d }})
            {{ '-' if side == 'low' else '+' }} {{ listenloop.z95() }} * sqrt(
                ({{ p }} + {{ d }} - power({{ p }} - {{ d }}, 2)) / {{ n }}
            )
        ))
    end
{%- endmacro %}

{#- 95% Student t interval of a mean: mean +- t975(n - 1) * sqrt(var / n); null below 2 values. -#}
{% macro mean_t_bound(mean, variance, n, side) -%}
    case when {{ n }} >= 2 then
        ({{ mean }}) {{ '-' if side == 'low' else '+' }}
        {{ listenloop.t975('(' ~ n ~ ' - 1)') }} * sqrt(({{ variance }}) / {{ n }})
    end
{%- endmacro %}
