{#
    The list date and its clock. Every timestamp in the warehouse is naive UTC; a list date D is a
    calendar day in var('program_timezone').
#}

{#- D as a SQL date: var('as_of_date'), or today in the program timezone when empty. -#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of_date') -%}
    {%- if as_of is none or (as_of | string | trim) == '' -%}
        cast({{ listenloop.to_program_timestamp(listenloop.utc_now()) }} as date)
    {%- else -%}
        cast('{{ as_of | string | trim }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- The intraday cutoff of D, var('list_cutoff_at') as 'YYYY-MM-DD HH:MM:SS' naive UTC, or '' when
    D is decided as of its start (see int_call_list__dates). -#}
{% macro list_cutoff_at() -%}
    {%- set cutoff = (var('list_cutoff_at') or '') | string | trim -%}
    {%- if cutoff and not modules.re.fullmatch('\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?', cutoff) -%}
        {{ exceptions.raise_compiler_error(
            "var list_cutoff_at must be a naive UTC timestamp like '2026-11-23 10:00:00', got '"
            ~ cutoff ~ "'"
        ) }}
    {%- endif -%}
    {{ return(cutoff | replace('T', ' ')) }}
{%- endmacro %}

{#- A naive wall-clock time of the program timezone as naive UTC (the inverse of
    to_program_timestamp). -#}
{% macro program_to_utc(local_timestamp) -%}
    {%- set timezone = var('program_timezone') -%}
    {%- if timezone | upper == 'UTC' -%}
        {{ local_timestamp }}
    {%- else -%}
        {{ return(adapter.dispatch('program_to_utc', 'listenloop')(local_timestamp, timezone)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__program_to_utc(local_timestamp, timezone) -%}
    (({{ local_timestamp }}) at time zone '{{ timezone }}') at time zone 'UTC'
{%- endmacro %}

{% macro duckdb__program_to_utc(local_timestamp, timezone) -%}
    timezone('UTC', timezone('{{ timezone }}', {{ local_timestamp }}))
{%- endmacro %}

{#- The UTC moment a local 'HH:MM' wall-clock time falls on the day `date_column`. -#}
{% macro local_time_on(date_column, hh_mm) -%}
    {{ listenloop.program_to_utc(
        '(cast(' ~ date_column ~ ' as date) + cast(\'' ~ hh_mm ~ '\' as time))'
    ) }}
{%- endmacro %}

{#- 1 for the first segment of var('segment_precedence'), 2 for the next, ...; a segment left out
    of the list comes after all of them (a null would never lose a precedence comparison). -#}
{% macro segment_precedence_rank(segment_column) -%}
    case {{ segment_column }}
    {%- for segment in var('segment_precedence') %}
        when '{{ segment }}' then {{ loop.index }}
    {%- endfor %}
        else {{ var('segment_precedence') | length + 1 }}
    end
{%- endmacro %}

{#- Join condition: a call window [start, end) overlaps the calling hours of a list date. -#}
{% macro overlaps_calling_hours(window_start, window_end, dates) -%}
    {{ window_start }} < {{ dates }}.calling_ends_at
    and {{ window_end }} > {{ dates }}.calling_starts_at
{%- endmacro %}

{#- Condition: a version (valid_from, valid_to) is the one in force at `moment` (records count
    from their updated_at; the next version takes over at its own). -#}
{% macro valid_at(versions, moment) -%}
    {{ versions }}.valid_from < {{ moment }}
    and ({{ versions }}.valid_to is null or {{ versions }}.valid_to >= {{ moment }})
{%- endmacro %}

{#- The moment outcomes are observed up to (naive UTC): the start of the as-of date D in the
    program timezone. Later records are not counted, so a rebuild for D is reproducible. -#}
{% macro observed_until() -%}
    {{ listenloop.program_to_utc('cast(' ~ listenloop.as_of_date() ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
{%- endmacro %}
