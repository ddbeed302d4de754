{#
    The holdout rule, once in SQL; listenloop/holdout.py is the same rule in Python and a test
    proves the two agree:
        bucket  = int(sha256_hex(customer_id || '|' || segment || '|' || trigger_id)[0:8], 16) / 2^32
        holdout = bucket < var('holdout_share')
    A null customer_id (an unmatched guest checkout) hashes as ''.
#}
{% macro holdout_bucket(customer_id, segment, trigger_id) -%}
    {{ return(adapter.dispatch('holdout_bucket', 'listenloop')(customer_id, segment, trigger_id)) }}
{%- endmacro %}

{% macro holdout_key(customer_id, segment, trigger_id) -%}
    coalesce({{ customer_id }}, '') || '|' || {{ segment }} || '|' || {{ trigger_id }}
{%- endmacro %}

{#- PostgreSQL: the first 8 hex digits read as a 32-bit unsigned number via bit(32). -#}
{% macro default__holdout_bucket(customer_id, segment, trigger_id) -%}
    (
        ('x' || substr(encode(sha256(convert_to(
            {{ listenloop.holdout_key(customer_id, segment, trigger_id) }}, 'UTF8'
        )), 'hex'), 1, 8))::bit(32)::bigint / 4294967296.0
    )
{%- endmacro %}

{% macro duckdb__holdout_bucket(customer_id, segment, trigger_id) -%}
    (
        cast(('0x' || substr(sha256(
            {{ listenloop.holdout_key(customer_id, segment, trigger_id) }}
        ), 1, 8)) as ubigint) / 4294967296.0
    )
{%- endmacro %}
