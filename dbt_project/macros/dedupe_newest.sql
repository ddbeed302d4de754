{#
    Keeps one row per key from a relation (or CTE) holding several versions of each record: the
    first row in `newest_first_order` (e.g. 'updated_at desc, _source_file desc').
#}
{% macro dedupe_newest(relation, key, newest_first_order) -%}
    {{ return(adapter.dispatch('dedupe_newest', 'listenloop')(relation, key, newest_first_order)) }}
{%- endmacro %}

{#- PostgreSQL flavour. -#}
{% macro default__dedupe_newest(relation, key, newest_first_order) -%}
    select distinct on ({{ key }}) *
    from {{ relation }}
    order by {{ key }}, {{ newest_first_order }}
{%- endmacro %}

{% macro duckdb__dedupe_newest(relation, key, newest_first_order) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by {{ key }} order by {{ newest_first_order }}) = 1
{%- endmacro %}
