{#- Removes every match of a POSIX regular expression from a string expression. -#}
{% macro regexp_remove(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_remove', 'listenloop')(expression, pattern)) }}
{%- endmacro %}

{#- PostgreSQL flavour: the 'g' flag replaces every match, not just the first. -#}
{% macro default__regexp_remove(expression, pattern) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '', 'g')
{%- endmacro %}

{% macro duckdb__regexp_remove(expression, pattern) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '', 'g')
{%- endmacro %}
