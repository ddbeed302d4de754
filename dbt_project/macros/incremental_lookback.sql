{#
    A predicate for the source rows an incremental model (re)processes: on an incremental run,
    rows whose `column` is within var('outcomes_lookback_days') days of the newest value already
    in the target (everything when the target is empty); on a full build, every row. Pair it with
    delete+insert so rows in the window are replaced, which absorbs late and corrected calls.
#}
{% macro in_incremental_window(column) -%}
    {%- if is_incremental() -%}
    (
        {{ column }} >= (
            select {{ dbt.dateadd('day', -1 * var('outcomes_lookback_days'), 'max(' ~ column ~ ')') }}
            from {{ this }}
        )
        or not exists (select 1 from {{ this }})
    )
    {%- else -%}
    (1 = 1)
    {%- endif -%}
{%- endmacro %}
