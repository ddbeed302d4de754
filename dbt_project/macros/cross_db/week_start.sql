{#- The Monday that starts the week of a date (ISO weeks), as a date. dbt.date_trunc('week')
    starts weeks on Monday on DuckDB, PostgreSQL and Snowflake's default, but on Sunday on
    BigQuery. -#}
{% macro week_start(date_expr) -%}
    {{ return(adapter.dispatch('week_start', 'listenloop')(date_expr)) }}
{%- endmacro %}

{% macro default__week_start(date_expr) -%}
    cast({{ dbt.date_trunc('week', date_expr) }} as date)
{%- endmacro %}

{% macro bigquery__week_start(date_expr) -%}
    date_trunc(cast({{ date_expr }} as date), isoweek)
{%- endmacro %}
