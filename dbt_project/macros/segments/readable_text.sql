{#
    Pieces of the plain sentences agents read (reason, talking points): amounts as '182.40 EUR',
    moments as '21 Nov at 14:05' and days as '21 Nov', in the program timezone.
#}
{#- An unknown amount reads '?' so the sentence survives a missing value. -#}
{% macro money_text(amount, currency) -%}
    (coalesce(cast(cast({{ amount }} as decimal(18, 2)) as {{ dbt.type_string() }}), '?')
        || coalesce(' ' || {{ currency }}, ''))
{%- endmacro %}

{% macro day_time_text(utc_timestamp) -%}
    {{ listenloop.format_local(utc_timestamp, with_time=true) }}
{%- endmacro %}

{% macro day_text(utc_timestamp) -%}
    {{ listenloop.format_local(utc_timestamp, with_time=false) }}
{%- endmacro %}

{% macro format_local(utc_timestamp, with_time) -%}
    {{ return(adapter.dispatch('format_local', 'listenloop')(
        listenloop.to_program_timestamp(utc_timestamp), with_time
    )) }}
{%- endmacro %}

{% macro default__format_local(local_timestamp, with_time) -%}
    to_char({{ local_timestamp }}, 'FMDD Mon{{ " \"at\" HH24:MI" if with_time else "" }}')
{%- endmacro %}

{% macro duckdb__format_local(local_timestamp, with_time) -%}
    strftime({{ local_timestamp }}, '%-d %b{{ " at %H:%M" if with_time else "" }}')
{%- endmacro %}
