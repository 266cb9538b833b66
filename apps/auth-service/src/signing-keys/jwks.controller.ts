import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SigningKeysService } from './signing-keys.service';

@ApiTags('keys')
@Controller()
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOkResponse({ description: 'The ES256 public keys that verify access tokens (RFC 7517), including recently retired ones.' })
  jwks() {
    return this.keys.jwks();
  }
}
