{#
    Daily partitions. Dagster runs the date-keyed incremental models (tag `daily`) for a window of
    list or call dates, var('partition_start_date') to var('partition_end_date') inclusive; a
    plain `dbt build` sets neither and covers every date.
#}

{#- A predicate keeping the rows whose date `column` falls in the run's partition window. -#}
{% macro in_partition_window(column) -%}
    {%- set bounds = listenloop.partition_window() -%}
    {%- if bounds -%}
        ({{ column }} >= cast('{{ bounds[0] }}' as date) and {{ column }} <= cast('{{ bounds[1] }}' as date))
    {%- else -%}
        (1 = 1)
    {%- endif -%}
{%- endmacro %}

{#- (start, end) as 'YYYY-MM-DD' strings, or none when the run is not windowed. -#}
{% macro partition_window() -%}
    {%- set start = (var('partition_start_date', '') or '') | string | trim -%}
    {%- set end = (var('partition_end_date', '') or '') | string | trim -%}
    {%- if not start and not end -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for value in [start, end] -%}
        {%- if not modules.re.fullmatch('\\d{4}-\\d{2}-\\d{2}', value) -%}
            {{ exceptions.raise_compiler_error(
                "vars partition_start_date and partition_end_date must both be dates like "
                ~ "'2026-11-23', got '" ~ start ~ "' and '" ~ end ~ "'"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return((start, end)) }}
{%- endmacro %}

{#- A pre-hook for a model tagged `daily`: when var('rebuild_partitions') is true on an incremental
    run, delete the window's days first so the run writes them afresh. -#}
{% macro delete_partition_window(column) -%}
    {%- if is_incremental() and listenloop.rebuild_partitions() -%}
        delete from {{ this }} where {{ listenloop.in_partition_window(column) }}
    {%- endif -%}
{%- endmacro %}

{#- var('rebuild_partitions') as a boolean, whether it came from YAML or from --vars. -#}
{% macro rebuild_partitions() -%}
    {{ return(var('rebuild_partitions') | string | lower in ('true', '1')) }}
{%- endmacro %}
