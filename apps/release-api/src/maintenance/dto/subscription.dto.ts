import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEmail, IsIn, IsString, IsUrl, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { Omittable } from '@keyhaven/errors';

const ENVIRONMENT = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** One DTO for both kinds; fields of the other kind must be absent (checked by `IsAbsentFor`-style conditions). */
export class CreateSubscriptionDto {
  @ApiProperty({ enum: ['webhook', 'email'] })
  @IsIn(['webhook', 'email'])
  kind!: 'webhook' | 'email';

  @ApiPropertyOptional({ example: 'https://hooks.example.com/keyhaven', description: 'webhook: http(s) URL.' })
  @ValidateIf((o: CreateSubscriptionDto) => o.kind === 'webhook' || o.url !== undefined)
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ example: 'a-long-random-secret-123', description: 'webhook: the HMAC secret, 16–256 characters; never returned.' })
  @ValidateIf((o: CreateSubscriptionDto) => o.kind === 'webhook' || o.secret !== undefined)
  @IsString()
  @MinLength(16)
  @MaxLength(256)
  secret?: string;

  @ApiPropertyOptional({ example: 'ops@example.com', description: 'email: the address.' })
  @ValidateIf((o: CreateSubscriptionDto) => o.kind === 'email' || o.address !== undefined)
  @IsEmail()
  @MaxLength(320)
  address?: string;

  @ApiPropertyOptional({ example: 'Europe/Berlin', description: 'email: IANA time zone shown next to UTC.' })
  @Omittable()
  @IsString()
  @MaxLength(64)
  timeZone?: string;

  @ApiPropertyOptional({ type: [String], example: ['production'], description: 'Empty or absent: all environments.' })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ENVIRONMENT, { each: true })
  environments?: string[];
}

export class ListDeliveriesQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'dead'] })
  @Omittable()
  @IsIn(['pending', 'delivered', 'dead'])
  state?: 'pending' | 'delivered' | 'dead';

  @ApiPropertyOptional()
  @Omittable()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'windowId must be a window id (uuid)' })
  windowId?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 500 })
  @Omittable()
  @Matches(/^(?:[1-9]\d?|[1-4]\d\d|500)$/, { message: 'limit must be 1–500' })
  limit?: string;
}

export class RemoveSubscriptionQuery {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: erase the subscriber and its delivery history at once (GDPR) instead of a soft removal.',
  })
  @Omittable()
  @IsIn(['true', 'false'])
  erase?: 'true' | 'false';
}
