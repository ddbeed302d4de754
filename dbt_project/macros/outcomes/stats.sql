{#
    95% confidence intervals as plain SQL expressions (portable: sqrt, ln, exp, power only).
    Every argument is a SQL expression; counts may be integers. An interval is null where it is
    undefined (n = 0, a zero count under a log, fewer than two values for a variance).
    The formulas, with worked examples, are in docs/metrics.md.
#}

{#- z for a two-sided 95% interval. -#}
{% macro z95() -%}
    1.959963984540054
{%- endmacro %}

{#- x / n as a double, null when n = 0. -#}
{% macro ratio(numerator, denominator) -%}
    (cast({{ numerator }} as {{ listenloop.type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

{#- Wilson score interval for a proportion x / n: 'low' or 'high' bound. -#}
{% macro wilson_bound(x, n, side) -%}
    {%- set p = listenloop.ratio(x, n) -%}
    {%- set zz = listenloop.z95() ~ ' * ' ~ listenloop.z95() -%}
    case when {{ n }} > 0 then {{ 'greatest(0.0, ' if side == 'low' else 'least(1.0, ' }}(
        ({{ p }} + {{ zz }} / (2.0 * {{ n }}))
        {{ '-' if side == 'low' else '+' }} {{ listenloop.z95() }} * sqrt(
            {{ p }} * (1 - {{ p }}) / {{ n }} + {{ zz }} / (4.0 * {{ n }} * {{ n }})
        )
    ) / (1 + {{ zz }} / {{ n }})) end
{%- endmacro %}

{#- Newcombe's hybrid score interval (method 10) for p1 - p2 from two Wilson intervals. -#}
{% macro newcombe_bound(x1, n1, x2, n2, side) -%}
    {%- set p1 = listenloop.ratio(x1, n1) -%}
    {%- set p2 = listenloop.ratio(x2, n2) -%}
    {%- if side == 'low' -%}
    ({{ p1 }} - {{ p2 }} - sqrt(
        power({{ p1 }} - {{ listenloop.wilson_bound(x1, n1, 'low') }}, 2)
        + power({{ listenloop.wilson_bound(x2, n2, 'high') }} - {{ p2 }}, 2)
    ))
    {%- else -%}
    ({{ p1 }} - {{ p2 }} + sqrt(
        power({{ listenloop.wilson_bound(x1, n1, 'high') }} - {{ p1 }}, 2)
        + power({{ p2 }} - {{ listenloop.wilson_bound(x2, n2, 'low') }}, 2)
    ))
    {%- endif -%}
{%- endmacro %}

{#- Relative lift p1 / p2 - 1 with the Katz log interval of the risk ratio. -#}
{% macro risk_ratio_lift_bound(x1, n1, x2, n2, side) -%}
    case when {{ x1 }} > 0 and {{ x2 }} > 0 then exp(
        ln({{ listenloop.ratio(x1, n1) }} / nullif({{ listenloop.ratio(x2, n2) }}, 0))
        {{ '-' if side == 'low' else '+' }} {{ listenloop.z95() }} * sqrt(
            1.0 / {{ x1 }} - 1.0 / {{ n1 }} + 1.0 / {{ x2 }} - 1.0 / {{ n2 }}
        )
    ) - 1 end
{%- endmacro %}

{#- Standard error of mean1 - mean2 (Welch), from sample variances and counts. -#}
{% macro welch_se(var1, n1, var2, n2) -%}
    sqrt({{ var1 }} / nullif({{ n1 }}, 0) + {{ var2 }} / nullif({{ n2 }}, 0))
{%- endmacro %}

{#- Welch-Satterthwaite degrees of freedom. -#}
{% macro welch_df(var1, n1, var2, n2) -%}
    (
        power({{ var1 }} / {{ n1 }} + {{ var2 }} / {{ n2 }}, 2)
        / nullif(
            power({{ var1 }} / {{ n1 }}, 2) / nullif({{ n1 }} - 1, 0)
            + power({{ var2 }} / {{ n2 }}, 2) / nullif({{ n2 }} - 1, 0),
            0
        )
    )
{%- endmacro %}

{#- The 97.5% quantile of Student's t with `df` degrees of freedom: the Cornish-Fisher
    expansion to the 4th order, within 0.001 of the exact value from 4 degrees of freedom up
    (0.004 at 3; 11.3 for the exact 12.706 at 1, which the low_sample flag covers). -#}
{% macro t975(df) -%}
    {%- set z = 1.959963984540054 -%}
    {%- set c1 = (z ** 3 + z) / 4 -%}
    {%- set c2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96 -%}
    {%- set c3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384 -%}
    {%- set c4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160 -%}
    (
        {{ z }} + {{ c1 }} / ({{ df }}) + {{ c2 }} / power({{ df }}, 2)
        + {{ c3 }} / power({{ df }}, 3) + {{ c4 }} / power({{ df }}, 4)
    )
{%- endmacro %}

{#- Welch interval for mean1 - mean2: 'low' or 'high' bound. -#}
{% macro welch_bound(mean1, var1, n1, mean2, var2, n2, side) -%}
    (
        ({{ mean1 }}) - ({{ mean2 }})
        {{ '-' if side == 'low' else '+' }}
        {{ listenloop.t975(listenloop.welch_df(var1, n1, var2, n2)) }}
        * {{ listenloop.welch_se(var1, n1, var2, n2) }}
    )
{%- endmacro %}

{#- Relative lift mean1 / mean2 - 1 with a delta-method interval on the log of the ratio
    (both means must be positive). -#}
{% macro mean_ratio_lift_bound(mean1, var1, n1, mean2, var2, n2, side) -%}
    case when {{ mean1 }} > 0 and {{ mean2 }} > 0 then exp(
        ln(({{ mean1 }}) / ({{ mean2 }}))
        {{ '-' if side == 'low' else '+' }} {{ listenloop.z95() }} * sqrt(
            {{ var1 }} / ({{ n1 }} * power({{ mean1 }}, 2))
            + {{ var2 }} / ({{ n2 }} * power({{ mean2 }}, 2))
        )
    ) - 1 end
{%- endmacro %}

{#- true when the smaller of the given counts is below var('low_sample_threshold'). -#}
{% macro is_low_sample(counts) -%}
    (
        {%- for n in counts %}
        coalesce({{ n }}, 0) < {{ var('low_sample_threshold') }}{{ ' or' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Join condition: two rows of a per-week table are the same period ('all' rows have a null
    week_start). -#}
{% macro same_week(left, right) -%}
    coalesce({{ left }}.week_start, cast('1900-01-01' as date))
        = coalesce({{ right }}.week_start, cast('1900-01-01' as date))
{%- endmacro %}

{#- Mean and sample variance of an exact column (integer, or decimal with at most 4 places and
    |x| < 10^14), summed exactly and converted to double once. Summing doubles (avg, var_samp)
    depends on the order a parallel engine adds rows in, so a re-run over the same data could
    differ in the last bits; these do not. -#}
{% macro exact_mean(x) -%}
    (cast(sum({{ x }}) as {{ listenloop.type_double() }}) / nullif(count({{ x }}), 0))
{%- endmacro %}

{% macro exact_variance(x) -%}
    {%- set exact = 'cast(' ~ x ~ ' as decimal(18, 4))' -%}
    (
        greatest(
            0.0,
            cast(sum({{ exact }} * {{ exact }}) as {{ listenloop.type_double() }})
            - power(cast(sum({{ exact }}) as {{ listenloop.type_double() }}), 2) / count({{ x }})
        ) / nullif(count({{ x }}) - 1, 0)
    )
{%- endmacro %}

{#- What the n1 members of a treatment arm added over the holdout, from each arm's total and
    sample variance: n1 * (total1 / n1 - total2 / n2), or with `side` a bound of its Welch
    interval (n1 times the bound of the difference of means). -#}
{% macro incremental_total(total1, var1, n1, total2, var2, n2, side=none) -%}
    {%- set mean1 = listenloop.ratio(total1, n1) -%}
    {%- set mean2 = listenloop.ratio(total2, n2) -%}
    {%- if side is none -%}
    ({{ n1 }} * ({{ mean1 }} - {{ mean2 }}))
    {%- else -%}
    ({{ n1 }} * {{ listenloop.welch_bound(mean1, var1, n1, mean2, var2, n2, side) }})
    {%- endif -%}
{%- endmacro %}
