{#
    A join clause that turns a delimited string column into one row per element, with its
    1-based position: `from t {{ split_to_rows('t.tags', ';', 'tag', 'tag_position') }}`.
    Rows whose column is null produce no rows.
#}
{% macro split_to_rows(column, delimiter, value_alias, position_alias) -%}
    {{ return(adapter.dispatch('split_to_rows', 'listenloop')(column, delimiter, value_alias, position_alias)) }}
{%- endmacro %}

{% macro default__split_to_rows(column, delimiter, value_alias, position_alias) -%}
    cross join lateral unnest(string_to_array({{ column }}, '{{ delimiter }}'))
        with ordinality as split_rows ({{ value_alias }}, {{ position_alias }})
{%- endmacro %}

{% macro duckdb__split_to_rows(column, delimiter, value_alias, position_alias) -%}
    cross join unnest(string_split({{ column }}, '{{ delimiter }}'))
        with ordinality as split_rows ({{ value_alias }}, {{ position_alias }})
{%- endmacro %}
