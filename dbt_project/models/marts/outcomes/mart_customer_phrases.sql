{#-
    The language customers use for each concern: the most frequent 2- and 3-word phrases in the
    notes of connected calls that started before observed_until, attributed to every concern tag
    of their call. A phrase is consecutive words of one note (see macros/outcomes/phrases.sql for
    what a word is); it never runs across . , ; : ! ? and is dropped when any of its words is in
    the stop_words seed. Keeps the top var('phrases_per_tag') per tag and phrase length.
-#}
{%- set phrases_per_tag = var('phrases_per_tag') %}

with

calls as (

    select * from {{ ref('stg_telephony__calls') }}
    where is_connected
        and notes is not null
        and started_at < {{ listenloop.observed_until() }}

),

concerns as (

    select * from {{ ref('stg_telephony__call_concerns') }}

),

stop_words as (

    select word from {{ ref('stop_words') }}

),

-- two unknown tags on one call are both 'other': the note counts once for it
call_tags as (

    select distinct
        concerns.call_id,
        concerns.concern_tag
    from concerns
    inner join calls on concerns.call_id = calls.call_id

),

tokens as (

    select
        calls.call_id,
        token_rows.token,
        token_rows.token_position
    from calls
    {{ listenloop.text_to_tokens('calls.notes', 'token', 'token_position') }}

),

-- a token that may not be part of a phrase: a stop word or a phrase-breaking mark
flagged as (

    select
        tokens.call_id,
        tokens.token,
        tokens.token_position,
        stop_words.word is not null
            or tokens.token in {{ listenloop.phrase_break_list() }} as is_excluded
    from tokens
    left join stop_words on tokens.token = stop_words.word

),

windows as (

    select
        call_id,
        token as word_1,
        is_excluded as excluded_1,
        {%- for offset in [1, 2] %}
        lead(token, {{ offset }}) over (partition by call_id order by token_position)
            as word_{{ offset + 1 }},
        coalesce(
            lead(is_excluded, {{ offset }}) over (partition by call_id order by token_position),
            true
        ) as excluded_{{ offset + 1 }}{{ ',' if not loop.last }}
        {%- endfor %}
    from flagged

),

phrase_uses as (

    select
        call_id,
        2 as words,
        {{ dbt.concat(['word_1', "' '", 'word_2']) }} as phrase
    from windows
    where not excluded_1 and not excluded_2

    union all

    select
        call_id,
        3 as words,
        {{ dbt.concat(['word_1', "' '", 'word_2', "' '", 'word_3']) }} as phrase
    from windows
    where not excluded_1 and not excluded_2 and not excluded_3

),

tag_conversations as (

    select
        concern_tag,
        count(*) as tag_conversations
    from call_tags
    group by concern_tag

),

counted as (

    select
        call_tags.concern_tag,
        phrase_uses.words,
        phrase_uses.phrase,
        count(*) as mentions,
        count(distinct phrase_uses.call_id) as conversations
    from phrase_uses
    inner join call_tags on phrase_uses.call_id = call_tags.call_id
    group by call_tags.concern_tag, phrase_uses.words, phrase_uses.phrase

),

ranked as (

    select
        *,
        row_number() over (
            partition by concern_tag, words
            order by mentions desc, phrase
        ) as phrase_rank
    from counted

)

select
    cast(ranked.concern_tag as {{ dbt.type_string() }}) as concern_tag,
    cast(ranked.phrase as {{ dbt.type_string() }}) as phrase,
    cast(ranked.words as {{ dbt.type_int() }}) as words,
    cast(ranked.phrase_rank as {{ dbt.type_int() }}) as phrase_rank,
    cast(ranked.mentions as {{ dbt.type_bigint() }}) as mentions,
    cast(ranked.conversations as {{ dbt.type_bigint() }}) as conversations,
    cast(tag_conversations.tag_conversations as {{ dbt.type_bigint() }}) as tag_conversations
from ranked
inner join tag_conversations on ranked.concern_tag = tag_conversations.concern_tag
where ranked.phrase_rank <= {{ phrases_per_tag }}
