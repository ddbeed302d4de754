with

calls as (

    select call_id, concern_tags from {{ ref('stg_telephony__calls') }}
    where concern_tags is not null

),

vocabulary as (

    select tag from {{ ref('concern_tags') }}

),

split as (

    select
        calls.call_id,
        lower(trim(split_rows.raw_tag)) as raw_tag,
        split_rows.tag_position
    from calls
    {{ listenloop.split_to_rows('calls.concern_tags', ';', 'raw_tag', 'tag_position') }}

),

-- a tag written twice on one call ("price;Price") counts once, at its first position
distinct_tags as (

    select
        call_id,
        raw_tag,
        min(tag_position) as tag_position
    from split
    where raw_tag <> ''
    group by call_id, raw_tag

)

select
    distinct_tags.call_id,
    coalesce(vocabulary.tag, 'other') as concern_tag,
    distinct_tags.raw_tag,
    vocabulary.tag is null as is_unknown_tag,
    distinct_tags.tag_position
from distinct_tags
left join vocabulary on distinct_tags.raw_tag = vocabulary.tag
