{#
    Raw timestamps are naive UTC. These turn one into the naive wall-clock time, or the calendar
    date, of the program's timezone (var program_timezone).
#}
{% macro to_program_timestamp(utc_timestamp) -%}
    {%- set timezone = var('program_timezone') -%}
    {%- if timezone | upper == 'UTC' -%}
        {{ utc_timestamp }}
    {%- else -%}
        {{ listenloop.convert_utc_timestamp(utc_timestamp, timezone) }}
    {%- endif -%}
{%- endmacro %}

{% macro to_program_date(utc_timestamp) -%}
    cast({{ listenloop.to_program_timestamp(utc_timestamp) }} as date)
{%- endmacro %}

{% macro convert_utc_timestamp(utc_timestamp, timezone) -%}
    {{ return(adapter.dispatch('convert_utc_timestamp', 'listenloop')(utc_timestamp, timezone)) }}
{%- endmacro %}

{#- PostgreSQL: naive -> timestamptz read as UTC -> naive wall clock in the target zone. -#}
{% macro default__convert_utc_timestamp(utc_timestamp, timezone) -%}
    (({{ utc_timestamp }}) at time zone 'UTC') at time zone '{{ timezone }}'
{%- endmacro %}

{#- DuckDB (ICU): same semantics, spelled with timezone() to make the two steps explicit. -#}
{% macro duckdb__convert_utc_timestamp(utc_timestamp, timezone) -%}
    timezone('{{ timezone }}', timezone('UTC', {{ utc_timestamp }}))
{%- endmacro %}

{#- The current time as a naive UTC timestamp, comparable with raw timestamps. -#}
{% macro utc_now() -%}
    {{ return(adapter.dispatch('utc_now', 'listenloop')()) }}
{%- endmacro %}

{% macro default__utc_now() -%}
    cast(current_timestamp at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__utc_now() -%}
    cast(timezone('UTC', get_current_timestamp()) as timestamp)
{%- endmacro %}
